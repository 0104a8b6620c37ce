import type { AwsClients } from '../aws/clients.js';
import { CLUSTER_TAG } from '../aws/types.js';
import { asBuffer, firstLine } from '../bootstrap/pinned-cache.js';
import type { EventSink } from '../events.js';
import { MANAGED_TAG, templateBucket } from '../provision/template-store.js';

/**
 * What a failure to stage one architecture's artifact does to the command.
 * - `required`: any failure fails it: hosts have no other source (`etcd.source: release`).
 * - `warn-if-unavailable`: an artifact that cannot be loaded is a warning and the next one is
 *   staged; an S3 error or loaded bytes that are not the pinned ones still fail it (the etcd
 *   release with `etcd.source: auto`: masters with a package do not need it).
 * - `warn`: any failure is a warning: hosts fall back to another source (the Node.js runtime:
 *   the npm registry).
 */
export type StagingPolicy = 'required' | 'warn-if-unavailable' | 'warn';

/** One artifact in the cluster's prefix. */
export interface StagedArtifact<A extends string> {
  readonly arch: A;
  readonly key: string;
  /** False when the object was already there (same content, nothing loaded nor sent). */
  readonly uploaded: boolean;
}

/** Where an artifact is staged and for which architectures (what every staging caller takes). */
export interface StagingTarget<A extends string> {
  readonly aws: AwsClients;
  readonly cluster: string;
  readonly archs: readonly A[];
  readonly events: EventSink;
}

/** Options of {@link stageOnce}. */
export interface StageOnceOptions<A extends string> extends StagingTarget<A> {
  /** The content-addressed S3 key of an architecture's artifact (its checksum is in the key). */
  readonly key: (arch: A) => string;
  /** The artifact's verified bytes (the laptop's cache, else its source); only for a key S3 lacks. */
  readonly load: (arch: A) => Promise<Uint8Array>;
  /** Throws when loaded bytes are not the pinned artifact (a staging error, not "unavailable"). @default accepts them */
  readonly verify?: (arch: A, data: Uint8Array) => void;
  readonly policy: StagingPolicy;
  /** Event code prefix: `<prefix>.uploaded`, `<prefix>.upload-failed`. */
  readonly code: string;
  /** What an architecture's artifact is called in messages (`etcd 3.5.27 (amd64)`). */
  readonly label: (arch: A) => string;
  /** The warning's message: `where` is `s3://bucket/key`, `reason` the failure's first line. */
  readonly failed: (arch: A, where: string, reason: string) => string;
}

/** Marks a load failure, which `warn-if-unavailable` tolerates. */
class Unavailable {
  constructor(readonly cause: unknown) {}
}

/**
 * Stages a pinned, content-addressed artifact where instances booting from user-data fetch it:
 * once per cluster and architecture, in the account's tugboat bucket (made private and tagged
 * when missing), under `key(arch)`. A key S3 already has is neither loaded nor sent again, so a
 * re-run costs a `HeadObject`. Emits `<code>.uploaded` (data `uploaded` says which) per artifact
 * in the bucket, `<code>.upload-failed` per one the policy lets go. Returns those in the bucket.
 */
export async function stageOnce<A extends string>(
  options: StageOnceOptions<A>,
): Promise<StagedArtifact<A>[]> {
  const { aws, cluster, events } = options;
  const ref = await templateBucket(aws);
  await aws.s3.ensurePrivateBucket(ref, { [MANAGED_TAG]: 'true' });
  const done: StagedArtifact<A>[] = [];
  for (const arch of options.archs) {
    const key = options.key(arch);
    const where = `s3://${ref.bucket}/${key}`;
    try {
      const present = await aws.s3Bundles.objectExists(ref, key);
      if (!present) {
        const data = await options.load(arch).catch((err: unknown) => {
          throw new Unavailable(err);
        });
        options.verify?.(arch, data);
        await aws.s3Bundles.putBinary(ref, key, asBuffer(data), { [CLUSTER_TAG]: cluster });
      }
      events.emit({
        code: `${options.code}.uploaded`,
        level: 'info',
        message: `${options.label(arch)} ${present ? 'already in' : 'uploaded to'} ${where}`,
        data: { bucket: ref.bucket, key, arch, uploaded: !present },
      });
      done.push({ arch, key, uploaded: !present });
    } catch (thrown) {
      const unavailable = thrown instanceof Unavailable;
      const err = unavailable ? thrown.cause : thrown;
      if (options.policy === 'required' || (options.policy === 'warn-if-unavailable' && !unavailable))
        throw err;
      events.emit({
        code: `${options.code}.upload-failed`,
        level: 'warn',
        message: options.failed(arch, where, firstLine(err)),
        data: { bucket: ref.bucket, key, arch },
      });
    }
  }
  return done;
}
