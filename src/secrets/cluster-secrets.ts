import type { KmsApi } from '../aws/kms.js';
import type { SsmApi } from '../aws/ssm.js';
import { CLUSTER_TAG, type Tags } from '../aws/types.js';
import { DeploymentError } from '../errors.js';
import {
  type SecretItem,
  secretParameterName,
  secretsKeyAlias,
} from '../provision/template/storage-names.js';

export { SECRET_ITEMS, type SecretItem, secretParameterName } from '../provision/template/storage-names.js';

/** SSM's limits on a parameter value: Standard tier 4 KB, Advanced 8 KB. */
export const STANDARD_VALUE_LIMIT = 4096;
export const ADVANCED_VALUE_LIMIT = 8192;

/** The tier a value needs; a value above 8 KB is refused (none of the items comes close). */
export function tierFor(item: SecretItem, value: string): 'Standard' | 'Advanced' {
  const bytes = Buffer.byteLength(value, 'utf8');
  if (bytes <= STANDARD_VALUE_LIMIT) return 'Standard';
  if (bytes <= ADVANCED_VALUE_LIMIT) return 'Advanced';
  throw new DeploymentError(
    'SECRET_TOO_LARGE',
    `secret ${item} is ${bytes} bytes, above SSM's limit of ${ADVANCED_VALUE_LIMIT} for one parameter`,
  );
}

/** What `ensure` found or made. */
export interface EnsuredSecret {
  readonly value: string;
  /** True when this call created the parameter; false when it was there (or another caller won). */
  readonly created: boolean;
}

/** A cluster's secret store. Values are never logged or put in errors. */
export interface ClusterSecrets {
  readonly cluster: string;
  /** The value, or undefined when the item was never created. Refuses one under another key. */
  get(item: SecretItem): Promise<string | undefined>;
  /**
   * The item's value, creating it from `generate()` when missing. Never overwrites: when another
   * caller creates it between our read and our write, theirs is read back and returned.
   */
  ensure(item: SecretItem, generate: () => string): Promise<EnsuredSecret>;
}

/** Options of {@link clusterSecrets}. */
export interface ClusterSecretsOptions {
  readonly ssm: SsmApi;
  readonly kms: Pick<KmsApi, 'describeKey'>;
  readonly cluster: string;
  /** The stack's key (the `SecretsKeyId` output): id, ARN or alias. */
  readonly keyId: string;
  /** Extra tags on each parameter (every one carries `tugboat:cluster`). @default {} */
  readonly tags?: Tags;
}

/**
 * The SecureString store of one cluster under the stack's key. Every value read is checked to be
 * encrypted under that key: a parameter of the same name under another key (planted, or left by
 * a cluster of the same name in another stack) is refused, not trusted.
 */
export function clusterSecrets(options: ClusterSecretsOptions): ClusterSecrets {
  const { ssm, cluster } = options;
  let names: Promise<Set<string>> | undefined;
  /** The ways SSM may name our key: id, ARN, alias, alias ARN. */
  const ourKeyNames = () => {
    names ??= options.kms.describeKey(options.keyId).then(async (key) => {
      if (!key) {
        throw new DeploymentError(
          'SECRETS_KEY_MISSING',
          `the secrets key ${options.keyId} of ${cluster} does not exist`,
        );
      }
      const named = new Set([key.id, key.arn, options.keyId]);
      // The master names the key by the cluster's alias (user-data knows no key id), the laptop by
      // the stack's SecretsKeyId output: a parameter under the alias is ours when the alias points
      // at this very key.
      const alias = secretsKeyAlias(cluster);
      if (options.keyId !== alias) {
        const aliased = await options.kms.describeKey(alias);
        if (aliased?.id === key.id) {
          named.add(alias);
          if (key.arn.includes(':key/')) named.add(`${key.arn.slice(0, key.arn.indexOf(':key/'))}:${alias}`);
        }
      }
      return named;
    });
    names.catch(() => {
      names = undefined;
    });
    return names;
  };
  const checkKey = async (item: SecretItem, name: string) => {
    const [info] = (await ssm.listParameters(name.slice(0, name.lastIndexOf('/')))).filter(
      (p) => p.name === name,
    );
    if (!info) return;
    const ours = await ourKeyNames();
    if (info.type !== 'SecureString' || !info.keyId || !ours.has(info.keyId)) {
      throw new DeploymentError(
        'SECRET_WRONG_KEY',
        `secret ${item} (${name}) is a ${info.type || 'parameter'} under key ${info.keyId ?? '(none)'}, not under ${cluster}'s key ${options.keyId}: delete it (aws ssm delete-parameter --name ${name}) if it is not yours, then re-run`,
      );
    }
  };
  const read = async (item: SecretItem) => {
    const name = secretParameterName(cluster, item);
    const value = await ssm.getSecureString(name);
    if (value !== undefined) await checkKey(item, name);
    return value;
  };
  return {
    cluster,
    get: read,
    async ensure(item, generate) {
      const existing = await read(item);
      if (existing !== undefined) return { value: existing, created: false };
      await ourKeyNames(); // a missing key fails here, before anything is generated or written
      const value = generate();
      const outcome = await ssm.createSecureString(secretParameterName(cluster, item), value, {
        keyId: options.keyId,
        tier: tierFor(item, value),
        tags: { ...options.tags, [CLUSTER_TAG]: cluster },
        description: `tugboat ${cluster}: ${item}`,
      });
      if (outcome === 'created') return { value, created: true };
      const theirs = await read(item);
      if (theirs === undefined) {
        throw new DeploymentError(
          'SECRET_VANISHED',
          `secret ${item} of ${cluster} existed a moment ago and is gone: re-run`,
        );
      }
      return { value: theirs, created: false };
    },
  };
}
