import { parse, stringify } from 'yaml';
import {
  KUBECONFIG_LISTS,
  type KubeconfigEntry,
  parseKubeconfigDocument,
  setCurrentContext,
  upsertEntry,
} from './kubeconfig-edit.js';
import { addToKubeconfig, kubeconfigDefaultFile } from './kubeconfig-files.js';

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

/**
 * Merges the cluster, user and context of `addition` (a kubeconfig from {@link renderKubeconfig})
 * into `existing` (any kubeconfig text, or undefined for none) in place: entries with the same
 * names are replaced, everything else (comments and unknown fields included) is kept, and the
 * current context becomes the added one.
 */
export function mergeKubeconfig(existing: string | undefined, addition: string): string {
  const doc = parseKubeconfigDocument(existing ?? '', 'the existing kubeconfig');
  const add = parse(addition) as Record<string, unknown>;
  for (const [list, field] of KUBECONFIG_LISTS) {
    for (const entry of (add[list] ?? []) as KubeconfigEntry[]) {
      upsertEntry(doc, list, { name: entry.name, [field]: entry[field] ?? {} });
    }
  }
  setCurrentContext(doc, String(add['current-context']));
  return doc.toString();
}

/** The kubeconfig file kubectl writes new entries to (see kubeconfigDefaultFile). */
export function defaultKubeconfigPath(env: NodeJS.ProcessEnv, home: string): string {
  return kubeconfigDefaultFile({ env, home });
}

/**
 * Merges `addition` into the kubeconfig file at `path` with kubectl's lock (see addToKubeconfig),
 * keeping its comments and unknown fields; the added context becomes current.
 */
export function mergeKubeconfigFile(path: string, addition: string): void {
  addToKubeconfig({ explicit: path, env: {}, home: '' }, addition);
}
