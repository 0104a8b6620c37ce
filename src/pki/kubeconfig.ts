import { readFileSync } from 'node:fs';
import { parse, stringify } from 'yaml';
import { writeKeyFile } from './pem.js';

/** Options for {@link renderKubeconfig}. */
export interface KubeconfigOptions {
  /** Cluster name; also the context name. */
  readonly cluster: string;
  /** API server URL, e.g. `https://203.0.113.7:6443`. */
  readonly server: string;
  readonly caPem: string;
  /** The user (certificate CN), e.g. `admin`. The kubeconfig user entry is `<user>@<cluster>`. */
  readonly user: string;
  readonly certPem: string;
  /** A secret: the file this text goes to must be written with `writeKeyFile`. */
  readonly keyPem: string;
}

const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

/** Renders a self-contained kubeconfig (certificates inline) with one cluster, user and context. */
export function renderKubeconfig(options: KubeconfigOptions): string {
  if (!/^https:\/\//.test(options.server)) {
    throw new Error(`server "${options.server}" must be an https:// URL: tugboat API servers only speak TLS`);
  }
  const userName = `${options.user}@${options.cluster}`;
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name: options.cluster,
        cluster: { server: options.server, 'certificate-authority-data': b64(options.caPem) },
      },
    ],
    users: [
      {
        name: userName,
        user: { 'client-certificate-data': b64(options.certPem), 'client-key-data': b64(options.keyPem) },
      },
    ],
    contexts: [{ name: options.cluster, context: { cluster: options.cluster, user: userName } }],
    'current-context': options.cluster,
    preferences: {},
  });
}

interface NamedEntry {
  name?: unknown;
}

/**
 * Merges the cluster, user and context of `addition` (a kubeconfig from {@link renderKubeconfig})
 * into `existing` (any kubeconfig text, or undefined for none): entries with the same names are
 * replaced, everything else is kept, and the current context becomes the added one.
 */
export function mergeKubeconfig(existing: string | undefined, addition: string): string {
  const base = (existing?.trim() ? parse(existing) : {}) as Record<string, unknown> | null;
  if (base !== null && (typeof base !== 'object' || Array.isArray(base))) {
    throw new Error('the existing kubeconfig is not a YAML mapping: fix or move it, then retry');
  }
  const add = parse(addition) as Record<string, unknown>;
  const out: Record<string, unknown> = { apiVersion: 'v1', kind: 'Config', preferences: {}, ...(base ?? {}) };
  for (const key of ['clusters', 'users', 'contexts'] as const) {
    const current = Array.isArray(out[key]) ? (out[key] as NamedEntry[]) : [];
    const incoming = (add[key] as NamedEntry[] | undefined) ?? [];
    const names = new Set(incoming.map((e) => e.name));
    out[key] = [...current.filter((e) => !names.has(e.name)), ...incoming];
  }
  out['current-context'] = add['current-context'];
  return stringify(out);
}

/** The kubeconfig file kubectl uses: the first entry of $KUBECONFIG, else ~/.kube/config. */
export function defaultKubeconfigPath(env: NodeJS.ProcessEnv, home: string): string {
  const first = env.KUBECONFIG?.split(':').find((p) => p.trim() !== '');
  return first ?? `${home}/.kube/config`;
}

/**
 * Removes the cluster, context and user that {@link renderKubeconfig} added for `name` from a
 * kubeconfig text, keeping everything else; clears current-context if it pointed there.
 */
export function removeKubeconfigEntries(existing: string, name: string): string {
  const config = (parse(existing) ?? {}) as Record<string, unknown>;
  const entries = (key: string) => (Array.isArray(config[key]) ? (config[key] as NamedEntry[]) : []);
  const contexts = entries('contexts');
  const users = new Set(
    contexts.filter((c) => c.name === name).map((c) => (c as { context?: { user?: unknown } }).context?.user),
  );
  config.clusters = entries('clusters').filter((c) => c.name !== name);
  config.contexts = contexts.filter((c) => c.name !== name);
  config.users = entries('users').filter((u) => !users.has(u.name));
  if (config['current-context'] === name) delete config['current-context'];
  return stringify(config);
}

/**
 * Merges `addition` into the kubeconfig file at `path` (see {@link mergeKubeconfig}; a missing file
 * counts as empty) and writes it back atomically, 0600, creating its folder (0700) when needed.
 */
export function mergeKubeconfigFile(path: string, addition: string): void {
  let existing: string | undefined;
  try {
    existing = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  writeKeyFile(path, mergeKubeconfig(existing, addition));
}
