import type { SsmApi } from '../aws/ssm.js';
import { CLUSTER_TAG } from '../aws/types.js';
import { type CertificateAuthority, createCa, loadCa } from '../pki/authority.js';
import { issueAdminCertificate } from '../pki/cluster-certs.js';
import {
  type ClusterSecrets,
  type SecretItem,
  secretParameterName,
  tierFor,
} from '../secrets/cluster-secrets.js';
import {
  generateBootstrapToken,
  generateServiceAccountKey,
  parsePair,
  recordingEnsure,
} from '../secrets/secrets-plan.js';

/** What a booting master needs from the cluster's secrets. Secret: never log. */
export interface MasterSecrets {
  readonly ca: CertificateAuthority;
  readonly serviceAccountKeyPem: string;
  /** The join token workers authenticate with (its Secret is kept by the control plane). */
  readonly bootstrapToken: string;
  /** The items this boot created: all five on the "no client" path, none after `tugboat create`. */
  readonly created: readonly SecretItem[];
}

/** Options of {@link ensureMasterSecrets}. */
export interface EnsureMasterSecretsOptions {
  readonly store: ClusterSecrets;
  /** For the admin credential, which the master may create but never read. */
  readonly ssm: Pick<SsmApi, 'createSecureString'>;
  /** The cluster's key (the alias `alias/tugboat-<cluster>` is enough). */
  readonly keyId: string;
  /** @default new Date() */
  readonly now?: Date;
}

/**
 * The CA and service-account key of the cluster, from its SSM SecureStrings. When the store has
 * none yet (the template was deployed without tugboat: the "no client" path), the first master
 * creates the CA, the CA certificate, the service-account key, the bootstrap token and an admin
 * credential — each with a conditional create, so two masters booting at once (or a master and
 * `tugboat create`) end up with one value: the loser reads the winner's. The admin credential is
 * only created (the master role may not read `admin/`); when it exists, nothing is read.
 */
export async function ensureMasterSecrets(options: EnsureMasterSecretsOptions): Promise<MasterSecrets> {
  const { store } = options;
  const now = options.now ?? new Date();
  const { ensure, created } = recordingEnsure(store);
  const pair = parsePair(
    'ca',
    await ensure('ca', () => {
      const ca = createCa({ cluster: store.cluster, now });
      return JSON.stringify({ certPem: ca.certPem, keyPem: ca.keyPem });
    }),
  );
  const ca = loadCa(pair.certPem, pair.keyPem);
  await ensure('caCert', () => ca.certPem);
  const serviceAccountKeyPem = await ensure('serviceAccountKey', generateServiceAccountKey);
  const bootstrapToken = await ensure('bootstrapToken', generateBootstrapToken);
  const admin = issueAdminCertificate(ca, { now });
  const adminText = JSON.stringify({ certPem: admin.certPem, keyPem: admin.keyPem });
  const outcome = await options.ssm.createSecureString(
    secretParameterName(store.cluster, 'admin'),
    adminText,
    {
      keyId: options.keyId,
      tier: tierFor('admin', adminText),
      tags: { [CLUSTER_TAG]: store.cluster },
      description: `tugboat ${store.cluster}: admin`,
    },
  );
  if (outcome === 'created') created.push('admin');
  return { ca, serviceAccountKeyPem, bootstrapToken, created };
}
