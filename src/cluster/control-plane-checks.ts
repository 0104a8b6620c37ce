import { existsSync, readFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { clusterStateDir } from '../naming.js';
import type { Host } from '../provision/cluster-instances.js';

/** What one master's API server says in `/readyz?verbose`. */
export interface ControlPlaneCheck {
  readonly host: string;
  readonly server: string;
  /** Answered at all (over TLS verified against the cluster CA). */
  readonly answered: boolean;
  /** `/readyz` passed. */
  readonly ready: boolean;
  /** The store's line (`etcd`): whether it can serve, which members are down, the recovery. */
  readonly store?: { readonly name: string; readonly ok: boolean; readonly detail: string };
  /** Why it did not answer, or the body when it answered something else. */
  readonly error?: string;
}

/** Reads the store's line of a `/readyz?verbose` body (`[+]etcd ok: ...` / `[-]etcd failed: ...`). Pure. */
export function parseReadyz(
  status: number,
  body: string,
): Pick<ControlPlaneCheck, 'ready' | 'store' | 'error'> {
  const ready = status === 200;
  const line = body
    .split('\n')
    .map((l) => /^\[([+-])\](\w[\w-]*) (?:ok|failed)(?:: (.*))?$/.exec(l))
    .find((m) => m && m[2] !== 'ping');
  const store = line ? { name: line[2]!, ok: line[1] === '+', detail: line[3] ?? '' } : undefined;
  return {
    ready,
    ...(store ? { store } : {}),
    ...(!ready && !store ? { error: `HTTP ${status}: ${body.trim().slice(0, 200)}` } : {}),
  };
}

/** Options for {@link readControlPlaneChecks}. */
export interface ControlPlaneChecksOptions {
  /** The cluster CA (PEM) the API servers' certificate is verified against. */
  readonly caPem: string;
  /** Per request. @default 8000 (the store's check may take a few seconds with a member silent) */
  readonly timeoutMs?: number;
}

/**
 * Asks each master's API server for `/readyz?verbose` (a public path: no credentials, but the
 * server is verified against the cluster CA), all at once. Never throws: a master that does not
 * answer is reported with the reason.
 */
export async function readControlPlaneChecks(
  targets: readonly { readonly host: string; readonly server: string }[],
  options: ControlPlaneChecksOptions,
): Promise<ControlPlaneCheck[]> {
  const timeout = options.timeoutMs ?? 8_000;
  return Promise.all(
    targets.map(
      (t) =>
        new Promise<ControlPlaneCheck>((resolve) => {
          const req = request(
            `${t.server}/readyz?verbose`,
            { ca: options.caPem, agent: false, timeout },
            (res) => {
              let body = '';
              res.setEncoding('utf8');
              res.on('data', (c: string) => {
                if (body.length < 64 * 1024) body += c;
              });
              res.on('end', () =>
                resolve({ ...t, answered: true, ...parseReadyz(res.statusCode ?? 0, body) }),
              );
            },
          );
          req.on('timeout', () => req.destroy(new Error(`no answer within ${timeout} ms`)));
          req.on('error', (err) => resolve({ ...t, answered: false, ready: false, error: err.message }));
          req.end();
        }),
    ),
  );
}

/**
 * For `tugboat status`: each master's API server, when this machine holds the cluster's CA
 * (`~/.tugboat/<cluster>/pki/ca.crt`; otherwise nothing is asked), at the address the API
 * certificate names and the kubeconfig uses: its Elastic IP, else (`master.eip: false`) its public
 * address, or its private one when the spec's `ssh.address` is `private` (as bootstrap reaches it).
 * A master with no such address is not asked.
 */
export async function masterControlPlaneChecks(
  cluster: string,
  hosts: readonly Host[],
  options: {
    readonly stateRoot?: string;
    readonly apiPort?: number;
    /** Which address of a master without an Elastic IP. @default 'public' */
    readonly address?: 'public' | 'private';
  } = {},
): Promise<ControlPlaneCheck[] | undefined> {
  const caFile = join(
    clusterStateDir(cluster, ...(options.stateRoot ? [options.stateRoot] : [])),
    'pki',
    'ca.crt',
  );
  if (!existsSync(caFile)) return undefined;
  const port = options.apiPort ?? 6443;
  const targets = hosts
    .filter((h) => h.role === 'master')
    .flatMap((h) => {
      const ip = h.eip?.publicIp ?? (options.address === 'private' ? h.privateIp : h.publicIp);
      return ip ? [{ host: `${h.group} (${h.id})`, server: `https://${ip}:${port}` }] : [];
    });
  if (targets.length === 0) return undefined;
  return readControlPlaneChecks(targets, { caPem: readFileSync(caFile, 'utf8') });
}
