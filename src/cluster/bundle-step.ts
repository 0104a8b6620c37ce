import type { AwsClients } from '../aws/clients.js';
import type { HostBundle } from '../bootstrap/control-plane-install.js';
import type { EtcdArch } from '../bootstrap/etcd-release.js';
import { etcdReleaseCacheDir, loadEtcdRelease } from '../bootstrap/etcd-release-cache.js';
import { loadHostBundle } from '../bootstrap/host-bundle.js';
import type { NodeRuntime, RuntimeArch } from '../bootstrap/node-runtime.js';
import { loadNodeRuntime, runtimeCacheDir } from '../bootstrap/runtime-cache.js';
import { type EventSink, runPhase } from '../events.js';
import { stateRoot } from '../naming.js';
import { bundleParameters, templateTakesBundle, uploadHostBundle } from '../provision/bundle-upload.js';
import { etcdArchsOf, uploadEtcdReleases } from './etcd-release-upload.js';
import { templateRuntimeArchs, uploadNodeRuntimes } from './runtime-upload.js';
import type { ClusterDefinition } from './types.js';

/**
 * Uploads the host bundle and the pinned Node.js runtime (once per cluster, see runtime-upload.ts)
 * for instances to fetch at boot, before the stack is created or updated, and returns the stack
 * parameters naming the bundle. The bundle is the SSH bootstrap step's (one bundle for both
 * paths); without one, the bundle `npm run build` wrote. No bundle at all (a spec-only checkout)
 * is not an error for the stack: its instances then stop at boot saying so, and a warning says it now.
 * Templates without the bundle parameters (hand-written ones) get nothing.
 */
export async function publishHostBundle(options: {
  readonly aws: AwsClients;
  readonly cluster: string;
  readonly definition: ClusterDefinition;
  /** The SSH bootstrap's step, whose bundle is the one uploaded. @default the bundle `npm run build` wrote */
  readonly step: { readonly bundle?: HostBundle } | undefined;
  readonly events: EventSink;
  /** Where the runtime tarballs are cached (`<root>/.cache/node-runtime`). @default stateRoot() */
  readonly stateRoot?: string | undefined;
  /** @default loadNodeRuntime from that cache, `npm pack` on a miss */
  readonly loadRuntime?: (arch: RuntimeArch) => Promise<NodeRuntime>;
  /** With store etcd (not `etcd.source: package`): the verified etcd release. @default loadEtcdRelease from `<root>/.cache/etcd-release`, the mirror on a miss */
  readonly loadEtcdRelease?: (arch: EtcdArch) => Promise<Uint8Array>;
}): Promise<Record<string, string>> {
  const { aws, cluster, events } = options;
  if (!templateTakesBundle(options.definition.template)) return {};
  let bundle = options.step?.bundle;
  if (!bundle) {
    try {
      bundle = loadHostBundle();
    } catch (err) {
      events.emit({
        code: 'bundle.missing',
        level: 'warn',
        message: `${(err as Error).message}; until then, instances the auto-scaling groups launch do not install themselves`,
      });
      return bundleParameters(undefined);
    }
  }
  const chosen = bundle;
  const cacheDir = runtimeCacheDir(options.stateRoot ?? stateRoot());
  const load = options.loadRuntime ?? ((arch: RuntimeArch) => loadNodeRuntime(arch, { cacheDir, events }));
  const uploaded = await runPhase(
    events,
    'bundle',
    'host bundle, Node.js runtime (and etcd) in S3',
    async () => {
      const result = await uploadHostBundle({ aws, cluster, bundle: chosen, events });
      const archs = templateRuntimeArchs(options.definition.template);
      await uploadNodeRuntimes({ aws, cluster, archs, load, events });
      const etcd = options.definition.settings;
      if (etcd?.store === 'etcd' && etcd.etcd?.source !== 'package') {
        const etcdCache = etcdReleaseCacheDir(options.stateRoot ?? stateRoot());
        const mirror = etcd.etcd?.mirror;
        const loadEtcd =
          options.loadEtcdRelease ??
          ((arch: EtcdArch) =>
            loadEtcdRelease(arch, { cacheDir: etcdCache, ...(mirror ? { mirror } : {}), events }).then(
              (r) => r.tarball,
            ));
        await uploadEtcdReleases({
          aws,
          cluster,
          archs: etcdArchsOf(archs),
          load: loadEtcd,
          events,
          required: etcd.etcd?.source === 'release',
        });
      }
      return result;
    },
  );
  return bundleParameters(uploaded);
}
