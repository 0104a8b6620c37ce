import { stringify } from 'yaml';

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
