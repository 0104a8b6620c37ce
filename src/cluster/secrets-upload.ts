import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AwsClients } from '../aws/clients.js';
import { CLUSTER_TAG } from '../aws/types.js';
import type { EventSink } from '../events.js';
import { clusterStateDir } from '../naming.js';
import { loadOrCreateClusterPki } from '../pki/cluster-pki.js';
import { writeKeyFile } from '../pki/pem.js';
import { OUTPUTS } from '../provision/template/names.js';
import { clusterSecrets } from '../secrets/cluster-secrets.js';
import { ensureClusterSecrets, parsePair } from '../secrets/secrets-plan.js';

/** Options of {@link uploadClusterSecrets}. */
export interface UploadClusterSecretsOptions {
  readonly aws: AwsClients;
  readonly cluster: string;
  /** The deployed stack's outputs (`SecretsKeyId`). */
  readonly outputs: Readonly<Record<string, string>>;
  readonly events: EventSink;
  /** Root of local state. @default ~/.tugboat */
  readonly stateRoot?: string;
}

/**
 * Puts the laptop's CA and admin credential into the cluster's secret store (and creates the
 * service-account key and bootstrap token), so a master that boots from user-data later finds
 * them. When this machine has no CA yet but the store has one (another machine or the first
 * master created it), that CA is written to the local state first, so both agree. Tags the key
 * with the cluster (the template cannot, see template/secrets.ts). Returns undefined, with an
 * event, for a stack without a secrets key (made by an older tugboat).
 */
export async function uploadClusterSecrets(options: UploadClusterSecretsOptions) {
  const { aws, cluster, events } = options;
  const keyId = options.outputs[OUTPUTS.secretsKeyId];
  if (!keyId) {
    events.emit({
      code: 'secrets.no-key',
      level: 'warn',
      message: `stack of ${cluster} has no ${OUTPUTS.secretsKeyId} output: run tugboat update ${cluster} to add the secrets key`,
    });
    return undefined;
  }
  await aws.kms.tagKey(keyId, { [CLUSTER_TAG]: cluster });
  const store = clusterSecrets({ ssm: aws.ssm, kms: aws.kms, cluster, keyId });
  const dir = join(clusterStateDir(cluster, options.stateRoot), 'pki');
  if (!existsSync(join(dir, 'ca.crt')) && !existsSync(join(dir, 'ca.key'))) {
    const stored = await store.get('ca');
    if (stored !== undefined) {
      const ca = parsePair('ca', stored);
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      writeKeyFile(join(dir, 'ca.key'), ca.keyPem);
      writeFileSync(join(dir, 'ca.crt'), ca.certPem, { mode: 0o644 });
    }
  }
  const local = loadOrCreateClusterPki({ cluster, dir, apiAltNames: [] });
  const values = await ensureClusterSecrets(store, { ca: local.ca, admin: local.admin });
  events.emit({
    code: 'secrets.stored',
    level: 'info',
    message: values.created.length
      ? `stored ${values.created.join(', ')} in SSM under /tugboat/${cluster}/`
      : `cluster secrets already in SSM under /tugboat/${cluster}/`,
    data: { created: values.created },
  });
  return { created: values.created };
}
