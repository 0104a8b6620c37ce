/**
 * Where a cluster keeps things outside its instances: S3 keys in the account's tugboat bucket and
 * SSM parameter paths. The template's IAM policies, `create`, `delete` and the instances all derive
 * their paths from here, so a policy can never drift from what the code reads and writes.
 */

/**
 * The shared bucket of one account and region (`tugboat-templates-<account>-<region>`): staged
 * templates, host bundles, the store's log and snapshots, backups. Deterministic, so any machine
 * (a CI job deleting what another created) finds it without local state.
 */
export function clusterBucketName(account: string, region: string): string {
  return `tugboat-templates-${account}-${region}`;
}

/**
 * The S3 key prefix of everything a cluster keeps in the bucket, without a trailing slash: `demo`.
 * Under it: `store/` (the embedded store's log and snapshots), `backups/`, `bundles/`, `runtime/`, `etcd/`, and the
 * staged templates (`<sha256>.json`).
 */
export function clusterStatePrefix(cluster: string): string {
  return cluster;
}

/** The sub-prefixes of {@link clusterStatePrefix}, each with a trailing slash. */
export function clusterS3Paths(cluster: string) {
  const prefix = clusterStatePrefix(cluster);
  return {
    /** Everything of the cluster: `demo/`. */
    all: `${prefix}/`,
    /** The embedded store's log segments, snapshots and lease (the master reads and writes). */
    store: `${prefix}/store/`,
    /** Backups (`delete --keep-backups` keeps them). */
    backups: `${prefix}/backups/`,
    /** Content-hashed host bundles (every instance reads). */
    bundles: `${prefix}/bundles/`,
    /** The pinned Node.js runtime tarballs, by their SHA-512 (every instance reads its exact keys). */
    runtime: `${prefix}/runtime/`,
    /** The pinned etcd release tarballs, by their SHA-256 (every instance reads its exact keys). */
    etcd: `${prefix}/etcd/`,
    /** Why an instance's boot from user-data failed, `<instance-id>.json` (every instance writes; status reads). */
    boot: `${prefix}/boot/`,
  } as const;
}

/** The SSM parameter path of a cluster's secrets, with a trailing slash: `/tugboat/demo/`. */
export function secretsPath(cluster: string): string {
  return `/tugboat/${cluster}/`;
}

/**
 * Who may read what under {@link secretsPath}: `master/` (CA key, service-account key: the master
 * role only), `worker/` (bootstrap token and CA certificate: the worker role reads, the master
 * reads and writes), `shared/` (non-secret cluster settings: the master reads and writes) and
 * `admin/` (the admin credential: only account administrators read it; the master may create it,
 * for the no-client rollout). Account administrators (the key's root principal) read everything.
 */
export const SECRET_SCOPES = ['master', 'worker', 'shared', 'admin'] as const;

/** One of {@link SECRET_SCOPES}. */
export type SecretScope = (typeof SECRET_SCOPES)[number];

/** The alias of the cluster's KMS key: `alias/tugboat-demo`. */
export function secretsKeyAlias(cluster: string): string {
  return `alias/tugboat-${cluster}`;
}

/**
 * The items of a cluster's secret store, each one SSM SecureString under the stack's KMS key at
 * `/tugboat/<cluster>/<scope>/<name>`. The scope decides which role may read it (see
 * template/storage-names.ts): `ca` and `service-account-key` only the master, `bootstrap-token`
 * and `ca-cert` the workers too, `admin` only account administrators.
 */
export const SECRET_ITEMS = {
  /** The cluster CA: `{"certPem","keyPem"}`. */
  ca: { scope: 'master', name: 'ca' },
  /** The service-account token signing key (PKCS#8 PEM). */
  serviceAccountKey: { scope: 'master', name: 'service-account-key' },
  /** The CA certificate alone (public; what a joining worker trusts). */
  caCert: { scope: 'worker', name: 'ca-cert' },
  /** The worker bootstrap token, `<6>.<16>` as kubeadm's. */
  bootstrapToken: { scope: 'worker', name: 'bootstrap-token' },
  /** The cluster administrator's client certificate: `{"certPem","keyPem"}`. */
  admin: { scope: 'admin', name: 'admin' },
} as const satisfies Record<string, { scope: SecretScope; name: string }>;

/** One of {@link SECRET_ITEMS}. */
export type SecretItem = keyof typeof SECRET_ITEMS;

/** `/tugboat/<cluster>/<scope>/<name>` */
export function secretParameterName(cluster: string, item: SecretItem): string {
  const { scope, name } = SECRET_ITEMS[item];
  return `${secretsPath(cluster)}${scope}/${name}`;
}
