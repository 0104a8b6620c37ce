import {
  NODE_RUNTIME,
  type NodeRuntime,
  type RuntimeArch,
  type RuntimePin,
  runtimeObjectKey,
  runtimeSpec,
} from '../bootstrap/node-runtime.js';
import { PARAMETERS } from '../provision/template/names.js';
import { type StagedArtifact, type StagingTarget, stageOnce } from './stage-once.js';

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
export type UploadedRuntime = StagedArtifact<RuntimeArch>;

/** Options of {@link uploadNodeRuntimes}. */
export interface UploadNodeRuntimesOptions extends StagingTarget<RuntimeArch> {
  /** The verified tarball of an architecture (loadNodeRuntime: the laptop's cache, else `npm pack`). */
  readonly load: (arch: RuntimeArch) => Promise<NodeRuntime>;
  /** @default NODE_RUNTIME */
  readonly pin?: RuntimePin;
}

/**
 * Puts the pinned Node.js runtime where the cluster's instances fetch it at boot: once per cluster
 * and architecture, under its content-addressed key ({@link runtimeObjectKey}). A key S3 already
 * has is left alone and nothing is loaded for it, so `update` sends nothing ({@link stageOnce}). A
 * runtime that cannot be loaded or uploaded is a warning, not a failure: instances then take it
 * from the npm registry (their boot log says so), as they did before.
 */
export async function uploadNodeRuntimes(options: UploadNodeRuntimesOptions): Promise<UploadedRuntime[]> {
  const pin = options.pin ?? NODE_RUNTIME;
  const spec = (arch: RuntimeArch) => runtimeSpec(pin, pin.packages[arch]);
  return stageOnce({
    aws: options.aws,
    cluster: options.cluster,
    archs: options.archs,
    key: (arch) => runtimeObjectKey(options.cluster, pin, pin.packages[arch]),
    load: async (arch) => {
      const runtime = await options.load(arch);
      const pkg = pin.packages[arch];
      if (runtime.version !== pin.version || runtime.package.integrity !== pkg.integrity)
        throw new Error(`loaded ${runtimeSpec(runtime, runtime.package)}, not the pinned ${spec(arch)}`);
      return runtime.tarball;
    },
    policy: 'warn',
    events: options.events,
    code: 'runtime',
    label: (arch) => `Node.js runtime ${spec(arch)}`,
    failed: (arch, where, reason) =>
      `Node.js runtime ${spec(arch)} not in ${where}: ${reason}; instances booting by themselves fetch it from the npm registry instead`,
  });
}
