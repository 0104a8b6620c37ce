import type { AwsClients } from '../aws/clients.js';
import { CLUSTER_TAG } from '../aws/types.js';
import {
  NODE_RUNTIME,
  type NodeRuntime,
  type RuntimeArch,
  type RuntimePin,
  runtimeObjectKey,
  runtimeSpec,
} from '../bootstrap/node-runtime.js';
import type { EventSink } from '../events.js';
import { PARAMETERS } from '../provision/template/names.js';
import { MANAGED_TAG, templateBucket } from '../provision/template-store.js';

/**
 * The runtime architectures a template's instances use, from its AMI parameters (`AmiX86`,
 * `AmiArm64`); a template with one AMI for all (`master.ami`) or none of these may run either.
 */
export function templateRuntimeArchs(template: object): RuntimeArch[] {
  const params = (template as { Parameters?: Record<string, unknown> }).Parameters ?? {};
  const archs: RuntimeArch[] = [];
  if (PARAMETERS.amiX86 in params) archs.push('x64');
  if (PARAMETERS.amiArm64 in params) archs.push('arm64');
  return archs.length > 0 ? archs : ['x64', 'arm64'];
}

/** One runtime tarball in the cluster's prefix. */
export interface UploadedRuntime {
  readonly arch: RuntimeArch;
  readonly key: string;
  /** False when the object was already there (same content, nothing sent). */
  readonly uploaded: boolean;
}

/** Options of {@link uploadNodeRuntimes}. */
export interface UploadNodeRuntimesOptions {
  readonly aws: AwsClients;
  readonly cluster: string;
  readonly archs: readonly RuntimeArch[];
  /** The verified tarball of an architecture (loadNodeRuntime: the laptop's cache, else `npm pack`). */
  readonly load: (arch: RuntimeArch) => Promise<NodeRuntime>;
  readonly events: EventSink;
  /** @default NODE_RUNTIME */
  readonly pin?: RuntimePin;
}

/**
 * Puts the pinned Node.js runtime where the cluster's instances fetch it at boot: once per cluster
 * and architecture, under its content-addressed key ({@link runtimeObjectKey}). A key S3 already
 * has is left alone and nothing is loaded for it, so `update` sends nothing. A runtime that cannot
 * be loaded or uploaded is a warning, not a failure: instances then take it from the npm registry
 * (their boot log says so), as they did before.
 */
export async function uploadNodeRuntimes(options: UploadNodeRuntimesOptions): Promise<UploadedRuntime[]> {
  const { aws, cluster, events } = options;
  const pin = options.pin ?? NODE_RUNTIME;
  const ref = await templateBucket(aws);
  await aws.s3.ensurePrivateBucket(ref, { [MANAGED_TAG]: 'true' });
  const done: UploadedRuntime[] = [];
  for (const arch of options.archs) {
    const pkg = pin.packages[arch];
    const key = runtimeObjectKey(cluster, pin, pkg);
    const spec = runtimeSpec(pin, pkg);
    try {
      const present = await aws.s3Bundles.objectExists(ref, key);
      if (!present) {
        const runtime = await options.load(arch);
        if (runtime.version !== pin.version || runtime.package.integrity !== pkg.integrity)
          throw new Error(`loaded ${runtimeSpec(runtime, runtime.package)}, not the pinned ${spec}`);
        await aws.s3Bundles.putBinary(ref, key, runtime.tarball, { [CLUSTER_TAG]: cluster });
      }
      events.emit({
        code: 'runtime.uploaded',
        level: 'info',
        message: present
          ? `Node.js runtime ${spec} already in s3://${ref.bucket}/${key}`
          : `Node.js runtime ${spec} uploaded to s3://${ref.bucket}/${key}`,
        data: { bucket: ref.bucket, key, arch, uploaded: !present },
      });
      done.push({ arch, key, uploaded: !present });
    } catch (err) {
      events.emit({
        code: 'runtime.upload-failed',
        level: 'warn',
        message: `Node.js runtime ${spec} not in s3://${ref.bucket}/${key}: ${(err as Error).message.split('\n')[0]}; instances booting by themselves fetch it from the npm registry instead`,
        data: { bucket: ref.bucket, key, arch },
      });
    }
  }
  return done;
}
