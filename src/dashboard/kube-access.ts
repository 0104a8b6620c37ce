import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse } from 'yaml';
import { KubeClient } from '../client/client.js';
import { UsageError } from '../errors.js';
import { type KubeconfigLocation, kubeconfigPrecedence } from '../pki/kubeconfig-files.js';

/** Options of {@link kubeClientFromKubeconfig}. */
export interface KubeAccessOptions {
  /** Where kubectl would read its kubeconfig. */
  readonly location: KubeconfigLocation;
  /** The context to use. @default the kubeconfig's current-context */
  readonly context?: string;
}

/** A client for one kubeconfig context, and what it was made from (for messages). */
export interface KubeAccess {
  readonly client: KubeClient;
  readonly context: string;
  readonly server: string;
}

interface Named {
  readonly name?: string;
  readonly [k: string]: unknown;
}
interface MergedConfig {
  readonly clusters: Map<string, Record<string, unknown>>;
  readonly users: Map<string, Record<string, unknown>>;
  readonly contexts: Map<string, Record<string, unknown>>;
  readonly current?: string;
}

/**
 * Builds a REST client with the user's own credentials from kubectl's kubeconfig files, merged the
 * way kubectl merges them (the first file naming an entry wins). Supports what tugboat writes and
 * what most kubeconfigs hold: inline or file certificate authority, client certificate/key, token.
 */
export function kubeClientFromKubeconfig(options: KubeAccessOptions): KubeAccess {
  const files = kubeconfigPrecedence(options.location);
  const merged = mergeFiles(files);
  const context = options.context ?? merged.current;
  if (!context)
    throw new UsageError(`no current-context in ${files.join(', ')}: pass a cluster name or --context`);
  const ctx = merged.contexts.get(context);
  if (!ctx) {
    const known = [...merged.contexts.keys()].join(', ') || 'none';
    throw new UsageError(`context "${context}" is not in ${files.join(', ')} (contexts: ${known})`);
  }
  const cluster = merged.clusters.get(String(ctx.cluster ?? ''));
  if (!cluster || typeof cluster.server !== 'string') {
    throw new UsageError(`context "${context}" names cluster "${String(ctx.cluster)}", which has no server`);
  }
  const user = merged.users.get(String(ctx.user ?? '')) ?? {};
  const base = options.location.cwd ?? process.cwd();
  const material = (dataKey: string, fileKey: string, from: Record<string, unknown>) => {
    const data = from[dataKey];
    if (typeof data === 'string') return Buffer.from(data, 'base64').toString('utf8');
    const file = from[fileKey];
    if (typeof file === 'string') return readFileSync(resolve(base, file), 'utf8');
    return undefined;
  };
  const tokenFile = typeof user.tokenFile === 'string' ? resolve(base, user.tokenFile) : undefined;
  const token =
    typeof user.token === 'string'
      ? user.token
      : tokenFile
        ? () => readFileSync(tokenFile, 'utf8').trim()
        : undefined;
  const client = new KubeClient({
    server: cluster.server,
    ca: material('certificate-authority-data', 'certificate-authority', cluster),
    cert: material('client-certificate-data', 'client-certificate', user),
    key: material('client-key-data', 'client-key', user),
    ...(token ? { token } : {}),
    ...(typeof cluster['tls-server-name'] === 'string' ? { servername: cluster['tls-server-name'] } : {}),
  });
  return { client, context, server: cluster.server };
}

function mergeFiles(files: readonly string[]): MergedConfig {
  const clusters = new Map<string, Record<string, unknown>>();
  const users = new Map<string, Record<string, unknown>>();
  const contexts = new Map<string, Record<string, unknown>>();
  let current: string | undefined;
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    let doc: Record<string, unknown>;
    try {
      doc = (parse(text) ?? {}) as Record<string, unknown>;
    } catch (err) {
      throw new UsageError(`kubeconfig ${file} is not valid YAML: ${(err as Error).message}`);
    }
    const add = (list: unknown, key: string, into: Map<string, Record<string, unknown>>) => {
      if (!Array.isArray(list)) return;
      for (const entry of list as Named[]) {
        const value = entry?.[key];
        if (typeof entry?.name === 'string' && !into.has(entry.name) && value && typeof value === 'object') {
          into.set(entry.name, value as Record<string, unknown>);
        }
      }
    };
    add(doc.clusters, 'cluster', clusters);
    add(doc.users, 'user', users);
    add(doc.contexts, 'context', contexts);
    if (!current && typeof doc['current-context'] === 'string' && doc['current-context']) {
      current = doc['current-context'];
    }
  }
  return { clusters, users, contexts, ...(current ? { current } : {}) };
}
