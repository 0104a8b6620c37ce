import {
  DescribeKeyCommand,
  type KMSClient,
  ListResourceTagsCommand,
  paginateListKeys,
  ScheduleKeyDeletionCommand,
  TagResourceCommand,
} from '@aws-sdk/client-kms';
import { awsCall, isAwsError } from './errors.js';
import { collectPages } from './pages.js';
import type { Tags } from './types.js';

/** A KMS key as described. */
export interface KmsKeyInfo {
  readonly id: string;
  readonly arn: string;
  /** `Enabled`, `Disabled`, `PendingDeletion`, ... */
  readonly state: string;
  readonly description: string;
  /** Customer-managed (`CUSTOMER`) or AWS-managed (`AWS`). */
  readonly manager: string;
}

/** The KMS calls tugboat makes (the cluster's secrets key: find, tag, schedule deletion). */
export interface KmsApi {
  /** The key (by id, ARN or `alias/...`), or undefined when there is none. */
  describeKey(keyId: string): Promise<KmsKeyInfo | undefined>;
  /** Ids of every key in the account and region. */
  listKeyIds(): Promise<string[]>;
  /** A key's tags (none for a key that is gone). */
  keyTags(keyId: string): Promise<Tags>;
  tagKey(keyId: string, tags: Tags): Promise<void>;
  /** Schedules deletion after `days` (7-30); a key already pending deletion is left as it is. */
  scheduleKeyDeletion(keyId: string, days: number): Promise<void>;
}

/** The KMS API over the SDK client. */
export function sdkKms(client: KMSClient, endpoint?: string): KmsApi {
  const call = <T>(action: string, fn: () => Promise<T>) => awsCall(`kms:${action}`, fn, endpoint);
  return {
    async describeKey(keyId) {
      try {
        const out = await call('DescribeKey', () => client.send(new DescribeKeyCommand({ KeyId: keyId })));
        const m = out.KeyMetadata;
        if (!m?.KeyId) return undefined;
        return {
          id: m.KeyId,
          arn: m.Arn ?? '',
          state: m.KeyState ?? '',
          description: m.Description ?? '',
          manager: m.KeyManager ?? '',
        };
      } catch (err) {
        if (isAwsError(err, 'NotFoundException')) return undefined;
        throw err;
      }
    },
    async listKeyIds() {
      const keys = await call('ListKeys', () =>
        collectPages(paginateListKeys({ client }, {}), (out) => out.Keys ?? []),
      );
      return keys.flatMap((k) => (k.KeyId ? [k.KeyId] : []));
    },
    async keyTags(keyId) {
      try {
        const out = await call('ListResourceTags', () =>
          client.send(new ListResourceTagsCommand({ KeyId: keyId })),
        );
        const tags: Record<string, string> = {};
        for (const t of out.Tags ?? []) if (t.TagKey) tags[t.TagKey] = t.TagValue ?? '';
        return tags;
      } catch (err) {
        if (isAwsError(err, 'NotFoundException')) return {};
        throw err;
      }
    },
    async tagKey(keyId, tags) {
      await call('TagResource', () =>
        client.send(
          new TagResourceCommand({
            KeyId: keyId,
            Tags: Object.entries(tags).map(([TagKey, TagValue]) => ({ TagKey, TagValue })),
          }),
        ),
      );
    },
    async scheduleKeyDeletion(keyId, days) {
      try {
        await call('ScheduleKeyDeletion', () =>
          client.send(new ScheduleKeyDeletionCommand({ KeyId: keyId, PendingWindowInDays: days })),
        );
      } catch (err) {
        // KMSInvalidStateException: already pending deletion. NotFoundException: already gone.
        if (isAwsError(err, 'KMSInvalidStateException', 'NotFoundException')) return;
        throw err;
      }
    },
  };
}
