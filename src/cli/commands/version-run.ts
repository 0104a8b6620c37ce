import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { parse } from 'yaml';
import { TUGBOAT_VERSION } from '../../version.js';
import type { CliIO, GlobalOptions } from '../support/context.js';
import { printResult } from '../support/output.js';

/** Flags of `tugboat version`. */
export interface VersionFlags {
  readonly client: boolean;
  readonly context?: string;
}

/** How long the server may take to answer `GET /version` before it counts as unreachable. */
const SERVER_TIMEOUT_MS = 5_000;

interface Named<T> {
  readonly name?: string;
  readonly cluster?: T;
  readonly user?: T;
  readonly context?: T;
}

/** The kubeconfig files kubectl reads, in order: `$KUBECONFIG`'s entries, else ~/.kube/config. */
function kubeconfigFiles(io: CliIO): string[] {
  const listed = (io.env.KUBECONFIG ?? '').split(delimiter).filter((p) => p.trim() !== '');
  return listed.length ? listed : [join(io.env.HOME || homedir(), '.kube', 'config')];
}

/** kubectl's merge for reading: the first file that sets a value or names an entry wins. */
function readMerged(files: readonly string[]) {
  let current: string | undefined;
  const entries = { clusters: new Map(), users: new Map(), contexts: new Map() } as Record<
    'clusters' | 'users' | 'contexts',
    Map<string, Record<string, unknown>>
  >;
  for (const file of files) {
    let doc: Record<string, unknown> | null;
    try {
      doc = parse(readFileSync(file, 'utf8')) as Record<string, unknown> | null;
    } catch {
      continue; // a missing or unreadable file is skipped, as kubectl does for $KUBECONFIG entries
    }
    if (!doc || typeof doc !== 'object') continue;
    if (!current && typeof doc['current-context'] === 'string') current = doc['current-context'];
    for (const key of ['clusters', 'users', 'contexts'] as const) {
      const field = key.slice(0, -1) as 'cluster' | 'user' | 'context';
      for (const e of Array.isArray(doc[key]) ? (doc[key] as Named<Record<string, unknown>>[]) : []) {
        if (e.name && !entries[key].has(e.name)) entries[key].set(e.name, e[field] ?? {});
      }
    }
  }
  return { current, ...entries };
}

const fromB64 = (v: unknown) => (typeof v === 'string' ? Buffer.from(v, 'base64') : undefined);
const fromFile = (v: unknown) => (typeof v === 'string' ? readFileSync(v) : undefined);

/** Asks the API server of `contextName` (default: current) for its version. */
async function serverVersion(io: CliIO, contextName?: string): Promise<Record<string, unknown>> {
  const config = readMerged(kubeconfigFiles(io));
  const name = contextName ?? config.current;
  if (!name) throw new Error('no current kubectl context');
  const context = config.contexts.get(name);
  if (!context) throw new Error(`context "${name}" is not in the kubeconfig`);
  const cluster = config.clusters.get(String(context.cluster)) ?? {};
  const user = config.users.get(String(context.user)) ?? {};
  const server = String(cluster.server ?? '');
  if (!/^https:\/\//.test(server)) throw new Error(`context "${name}" has no https server`);
  const url = new URL('/version', server);
  const body = await new Promise<string>((resolve, reject) => {
    const req = request(
      url,
      {
        ca: fromB64(cluster['certificate-authority-data']) ?? fromFile(cluster['certificate-authority']),
        cert: fromB64(user['client-certificate-data']) ?? fromFile(user['client-certificate']),
        key: fromB64(user['client-key-data']) ?? fromFile(user['client-key']),
        rejectUnauthorized: cluster['insecure-skip-tls-verify'] !== true,
        headers: typeof user.token === 'string' ? { authorization: `Bearer ${user.token}` } : {},
        timeout: SERVER_TIMEOUT_MS,
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          if (text.length < 65_536) text += chunk;
        });
        res.on('end', () =>
          res.statusCode === 200
            ? resolve(text)
            : reject(new Error(`${server} answered HTTP ${res.statusCode}`)),
        );
      },
    );
    req.on('timeout', () =>
      req.destroy(new Error(`${server} did not answer within ${SERVER_TIMEOUT_MS} ms`)),
    );
    req.on('error', reject);
    req.end();
  });
  return { context: name, ...(JSON.parse(body) as Record<string, unknown>) };
}

/**
 * Prints the client version (tugboat, Node.js) and, unless `--client`, the server version of the
 * current (or `--context`) kubectl context. An unreachable server is reported, not an error:
 * `version` is what users run to find out whether it is reachable.
 */
export async function runVersion(io: CliIO, globals: GlobalOptions, flags: VersionFlags): Promise<number> {
  const client = {
    version: TUGBOAT_VERSION,
    node: process.version,
    platform: `${process.platform}/${process.arch}`,
  };
  let server: Record<string, unknown> | undefined;
  let serverError: string | undefined;
  if (!flags.client) {
    try {
      server = await serverVersion(io, flags.context);
    } catch (err) {
      serverError = err instanceof Error ? err.message : String(err);
    }
  }
  printResult(
    io,
    globals,
    { client, ...(server ? { server } : {}), ...(serverError ? { serverError } : {}) },
    () =>
      [
        `Client Version: tugboat ${client.version} (node ${client.node}, ${client.platform})`,
        ...(server
          ? [`Server Version: ${String(server.gitVersion ?? '?')} (context ${String(server.context)})`]
          : []),
        ...(serverError ? [`Server Version: unreachable (${serverError})`] : []),
      ].join('\n'),
  );
  return 0;
}
