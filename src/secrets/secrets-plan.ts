import { generateKeyPairSync, randomInt } from 'node:crypto';
import { DeploymentError } from '../errors.js';
import { type CertificateAuthority, createCa, type IssuedCertificate, loadCa } from '../pki/authority.js';
import { issueAdminCertificate } from '../pki/cluster-certs.js';
import type { ClusterSecrets, SecretItem } from './cluster-secrets.js';

/** Options of {@link ensureClusterSecrets}. */
export interface EnsureClusterSecretsOptions {
  /** The CA to store when the store has none (the laptop's). @default a new CA */
  readonly ca?: CertificateAuthority;
  /** The admin credential to store when the store has none. @default a new one from the CA */
  readonly admin?: IssuedCertificate;
  /** @default new Date() */
  readonly now?: Date;
}

/** The cluster's secrets as stored (whoever created them). Secret: never log. */
export interface ClusterSecretValues {
  readonly ca: CertificateAuthority;
  readonly serviceAccountKeyPem: string;
  readonly bootstrapToken: string;
  readonly admin: IssuedCertificate;
  /** The items this call created (the rest were there already). */
  readonly created: readonly SecretItem[];
}

const TOKEN_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';
const randomText = (n: number) => Array.from({ length: n }, () => TOKEN_ALPHABET[randomInt(36)]).join('');

/** A bootstrap token in kubeadm's form `[a-z0-9]{6}.[a-z0-9]{16}` (id . secret). */
export function generateBootstrapToken(): string {
  return `${randomText(6)}.${randomText(16)}`;
}

/** A new service-account signing key: ECDSA P-256 (ES256), PKCS#8 PEM. */
export function generateServiceAccountKey(): string {
  return generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
    .privateKey.export({ type: 'pkcs8', format: 'pem' })
    .toString();
}

const pairText = (p: { certPem: string; keyPem: string }) =>
  JSON.stringify({ certPem: p.certPem, keyPem: p.keyPem });

/** Parses a stored `{"certPem","keyPem"}` item; a damaged one is a clear error. */
export function parsePair(item: SecretItem, text: string): IssuedCertificate {
  try {
    const p = JSON.parse(text) as { certPem?: unknown; keyPem?: unknown };
    if (typeof p.certPem === 'string' && typeof p.keyPem === 'string')
      return { certPem: p.certPem, keyPem: p.keyPem };
  } catch {
    // reported below
  }
  throw new DeploymentError(
    'SECRET_DAMAGED',
    `secret ${item} is not a {"certPem","keyPem"} JSON object: restore it or delete the cluster's secrets`,
  );
}

/** `store.ensure` returning the value, and the list of items these calls created. */
export function recordingEnsure(store: ClusterSecrets) {
  const created: SecretItem[] = [];
  const ensure = async (item: SecretItem, generate: () => string) => {
    const got = await store.ensure(item, generate);
    if (got.created) created.push(item);
    return got.value;
  };
  return { ensure, created };
}

/**
 * Makes sure every item of the cluster's store exists, creating each once, in dependency order
 * (the CA before what derives from it: the CA certificate and the admin credential are made from
 * whichever CA the store ends up holding). Safe to call from the laptop and the first master at
 * once: the loser of each race reads the winner's value. When `ca` is given and the store holds
 * another CA, that is an error (the laptop's files and the cluster disagree), never an overwrite.
 */
export async function ensureClusterSecrets(
  store: ClusterSecrets,
  options: EnsureClusterSecretsOptions = {},
): Promise<ClusterSecretValues> {
  const now = options.now ?? new Date();
  const { ensure, created } = recordingEnsure(store);
  const caPair = parsePair(
    'ca',
    await ensure('ca', () => pairText(options.ca ?? createCa({ cluster: store.cluster, now }))),
  );
  if (options.ca && caPair.certPem.trim() !== options.ca.certPem.trim()) {
    throw new DeploymentError(
      'SECRET_CA_MISMATCH',
      `the cluster ${store.cluster} already stores another CA than the local one: fetch the cluster's (tugboat kubeconfig ${store.cluster} --from-aws) or delete the cluster first`,
    );
  }
  const ca = loadCa(caPair.certPem, caPair.keyPem);
  await ensure('caCert', () => ca.certPem);
  const serviceAccountKeyPem = await ensure('serviceAccountKey', generateServiceAccountKey);
  const bootstrapToken = await ensure('bootstrapToken', generateBootstrapToken);
  const admin = parsePair(
    'admin',
    await ensure('admin', () => pairText(options.admin ?? issueAdminCertificate(ca, { now }))),
  );
  return { ca, serviceAccountKeyPem, bootstrapToken, admin, created };
}
