import type { SsmApi } from '../aws/ssm.js';
import {
  clearWorkerInstallMarker,
  type WorkerInstaller,
  workerInstallMarkerName,
  writeWorkerInstallMarker,
} from '../boot/worker-install-marker.js';
import type { EventSink } from '../events.js';

/** What create holds while it installs the workers over SSH. */
export interface WorkerInstallHold {
  /** Bootstrap finished: the marker is removed, so workers launched from now on join by themselves. */
  release(): Promise<void>;
  /**
   * Create failed or was interrupted: refreshing stops and the marker is left, so a create run
   * again soon takes over; left alone it goes stale and the waiting workers join by themselves.
   */
  abandon(): void;
}

/** Options of {@link holdWorkerInstall}. */
export interface HoldWorkerInstallOptions {
  readonly cluster: string;
  /** `create` runs the SSH bootstrap (false: `--no-bootstrap`). */
  readonly bootstrap: boolean;
  /** The command that installs. @default 'create' */
  readonly by?: WorkerInstaller;
  readonly events: EventSink;
  /** How often the marker's `at` is rewritten. @default 60_000 */
  readonly refreshMs?: number;
}

/**
 * `create`, before the stack: with the SSH bootstrap coming, writes the worker install marker
 * (see worker-install-marker.ts) and keeps it fresh until released, so a worker that boots from
 * user-data meanwhile leaves its install to bootstrap. With `--no-bootstrap` a marker left by an
 * earlier interrupted create is removed: the workers join by themselves at once.
 */
export async function holdWorkerInstall(
  ssm: Pick<SsmApi, 'putString' | 'deleteParameters'>,
  options: HoldWorkerInstallOptions,
): Promise<WorkerInstallHold> {
  const { cluster, events } = options;
  if (!options.bootstrap) {
    await clearWorkerInstallMarker(ssm, cluster);
    return { release: async () => {}, abandon: () => {} };
  }
  const by = options.by ?? 'create';
  const write = () => writeWorkerInstallMarker(ssm, cluster, new Date(), by);
  await write();
  let failures = 0;
  const timer = setInterval(() => {
    write().then(
      () => {
        failures = 0;
      },
      (err: unknown) => {
        // A missed refresh is harmless unless they go on for minutes (workers then join by themselves).
        failures += 1;
        if (failures === 1)
          events.emit({
            code: `${by}.worker-marker-refresh-failed`,
            level: 'warn',
            message: `could not refresh ${workerInstallMarkerName(cluster)}: ${(err as Error).message}; workers that boot now may join by themselves in 5 minutes`,
            data: { cluster, by },
          });
      },
    );
  }, options.refreshMs ?? 60_000);
  timer.unref();
  return {
    async release() {
      clearInterval(timer);
      await clearWorkerInstallMarker(ssm, cluster);
    },
    abandon() {
      clearInterval(timer);
    },
  };
}

/**
 * `scale`, `update` and `bootstrap NAME` with their SSH bootstrap: the marker is held around
 * `body` (which launches instances, except for `bootstrap NAME`, and bootstraps them), released
 * when it succeeds, left to go stale when it fails. Without a bootstrap nothing is written or
 * removed (a create may hold it).
 */
export async function withWorkerInstall<T>(
  ssm: Pick<SsmApi, 'putString' | 'deleteParameters'>,
  options: Omit<HoldWorkerInstallOptions, 'bootstrap'> & { readonly bootstrap: boolean },
  body: () => Promise<T>,
): Promise<T> {
  if (!options.bootstrap) return body();
  const hold = await holdWorkerInstall(ssm, options);
  try {
    const result = await body();
    await hold.release();
    return result;
  } catch (err) {
    hold.abandon();
    throw err;
  }
}
