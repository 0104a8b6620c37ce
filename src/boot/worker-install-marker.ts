import type { SsmApi } from '../aws/ssm.js';
import { CLUSTER_TAG } from '../aws/types.js';
import { type EventSink, silentEvents } from '../events.js';
import { secretsPath } from '../provision/template/storage-names.js';
import { sleep } from '../timing.js';

/**
 * `/tugboat/<cluster>/worker/ssh-bootstrap`: a plain String (nothing secret) that says "`tugboat
 * create` (or `scale`, `update`, `bootstrap NAME`) is installing the workers over SSH right now". It is written
 * before the command launches instances (so none of them boots before it), `at` is rewritten
 * every minute while it runs, and it is deleted once its bootstrap finished. Under `worker/`,
 * which the worker role already reads: no new permission. `tugboat delete` removes it with every
 * other parameter under `/tugboat/<cluster>/`.
 */
export function workerInstallMarkerName(cluster: string): string {
  return `${secretsPath(cluster)}worker/ssh-bootstrap`;
}

/** The commands that install workers over SSH (all but `bootstrap` right after launching them). */
export const WORKER_INSTALLERS = ['create', 'scale', 'update', 'bootstrap'] as const;

/** One of {@link WORKER_INSTALLERS}. */
export type WorkerInstaller = (typeof WORKER_INSTALLERS)[number];

/** The marker's value: who installs and when it last said so. */
export interface WorkerInstallMarker {
  readonly by: WorkerInstaller;
  /** Rewritten by every refresh: a value that stops changing belongs to a create that died. */
  readonly at: string;
}

/** The marker's value, or undefined when the text is not one. Pure. */
export function parseWorkerInstallMarker(text: string): WorkerInstallMarker | undefined {
  try {
    const v = JSON.parse(text) as Record<string, unknown>;
    const by = WORKER_INSTALLERS.find((w) => w === v?.by);
    if (v && typeof v === 'object' && by && typeof v.at === 'string') return { by, at: v.at };
  } catch {
    // not JSON: not a marker
  }
  return undefined;
}

/** Writes (or refreshes) the marker. */
export async function writeWorkerInstallMarker(
  ssm: Pick<SsmApi, 'putString'>,
  cluster: string,
  at: Date = new Date(),
  by: WorkerInstaller = 'create',
): Promise<void> {
  const value: WorkerInstallMarker = { by, at: at.toISOString() };
  await ssm.putString(workerInstallMarkerName(cluster), JSON.stringify(value), { [CLUSTER_TAG]: cluster });
}

/** Removes the marker (none is fine). */
export async function clearWorkerInstallMarker(
  ssm: Pick<SsmApi, 'deleteParameters'>,
  cluster: string,
): Promise<void> {
  await ssm.deleteParameters([workerInstallMarkerName(cluster)]);
}

/** Options of {@link waitWhileCreateInstalls}. */
export interface WaitWhileCreateInstallsOptions {
  readonly cluster: string;
  readonly instanceId: string;
  /**
   * A marker whose value has not changed for this long, by this instance's own clock (the laptop's
   * may be off), belongs to a create that was interrupted or failed: the worker stops waiting.
   * @default 300_000 (create refreshes every 60 s)
   */
  readonly staleMs?: number;
  /** The longest wait in all, however fresh the marker. @default 7_200_000 */
  readonly maxWaitMs?: number;
  /** @default 5_000 */
  readonly pollMs?: number;
  readonly events?: EventSink;
}

/** Failed reads in a row the wait tolerates (a minute at the default poll) before the boot fails with the error. */
const MAX_READ_ERRORS = 12;

/** Why a worker's boot stopped waiting for create's SSH bootstrap; `by` says whose when there was a marker. */
export interface CreateInstallOutcome {
  readonly outcome: 'no-marker' | 'finished' | 'stale' | 'timeout';
  readonly by?: WorkerInstaller;
}

/**
 * A worker's boot before it installs anything: while `tugboat create` says it installs the
 * workers over SSH (the marker), wait — the host is about to be installed by it, and two
 * installers must not write the same files and start two agents. Returns why it stopped waiting:
 * no marker (an old cluster, `create --no-bootstrap`, a launch after create), `finished` (create
 * removed it), or `stale`/`timeout` (create died: the worker then joins by itself). A marker
 * that is no marker's value is treated as none. Bounded by `staleMs` and `maxWaitMs`.
 */
export async function waitWhileCreateInstalls(
  ssm: Pick<SsmApi, 'getSecureString'>,
  options: WaitWhileCreateInstallsOptions,
): Promise<CreateInstallOutcome> {
  const { cluster } = options;
  const events = options.events ?? silentEvents;
  const staleMs = options.staleMs ?? 300_000;
  const pollMs = options.pollMs ?? 5_000;
  const started = Date.now();
  const deadline = started + (options.maxWaitMs ?? 7_200_000);
  const read = async () => {
    const text = await ssm.getSecureString(workerInstallMarkerName(cluster));
    return text === undefined ? undefined : parseWorkerInstallMarker(text);
  };
  let marker = await read();
  if (!marker) return { outcome: 'no-marker' };
  const { by } = marker;
  events.emit({
    code: 'boot.worker-waits-for-create',
    level: 'info',
    message: `tugboat ${marker.by} is installing the workers of ${cluster} over SSH (${workerInstallMarkerName(cluster)}, ${marker.at}): ${options.instanceId} waits for it rather than install the agent at the same time`,
  });
  let lastAt = marker.at;
  let changedAt = Date.now();
  let errors = 0;
  for (;;) {
    await sleep(pollMs);
    try {
      marker = await read();
      errors = 0;
    } catch (err) {
      // A throttled or dropped SSM call must not end a boot that may wait for minutes: bounded retries.
      errors += 1;
      if (errors > MAX_READ_ERRORS) throw err;
      if (errors === 1)
        events.emit({
          code: 'boot.create-marker-read-failed',
          level: 'warn',
          message: `could not read ${workerInstallMarkerName(cluster)}: ${(err as Error).message}; trying again`,
        });
      continue;
    }
    if (!marker) return { outcome: 'finished', by };
    const now = Date.now();
    if (marker.at !== lastAt) {
      lastAt = marker.at;
      changedAt = now;
    } else if (now - changedAt >= staleMs) {
      events.emit({
        code: 'boot.create-marker-stale',
        level: 'warn',
        message: `tugboat ${marker.by}'s marker for ${cluster} has not been refreshed for ${Math.round(staleMs / 1000)} s (last ${marker.at}): the ${marker.by} was interrupted or failed; ${options.instanceId} joins by itself`,
      });
      return { outcome: 'stale', by };
    }
    if (now >= deadline) {
      events.emit({
        code: 'boot.create-wait-timeout',
        level: 'warn',
        message: `tugboat ${marker.by} has been installing ${cluster} for more than ${Math.round((now - started) / 1000)} s: ${options.instanceId} joins by itself`,
      });
      return { outcome: 'timeout', by };
    }
  }
}
