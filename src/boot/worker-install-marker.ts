import type { SsmApi } from '../aws/ssm.js';
import { CLUSTER_TAG } from '../aws/types.js';
import { type EventSink, silentEvents } from '../events.js';
import { secretsPath } from '../provision/template/storage-names.js';
import { sleep } from '../timing.js';

/**
 * `/tugboat/<cluster>/worker/ssh-bootstrap`: a plain String (nothing secret) that says "`tugboat
 * create` is installing the workers over SSH right now". Create writes it before the stack (so no
 * worker boots before it), rewrites `at` every minute while it runs, and deletes it once its
 * bootstrap finished. Under `worker/`, which the worker role already reads: no new permission.
 * `tugboat delete` removes it with every other parameter under `/tugboat/<cluster>/`.
 */
export function workerInstallMarkerName(cluster: string): string {
  return `${secretsPath(cluster)}worker/ssh-bootstrap`;
}

/** The marker's value: who installs and when it last said so. */
export interface WorkerInstallMarker {
  readonly by: 'create';
  /** Rewritten by every refresh: a value that stops changing belongs to a create that died. */
  readonly at: string;
}

/** The marker's value, or undefined when the text is not one. Pure. */
export function parseWorkerInstallMarker(text: string): WorkerInstallMarker | undefined {
  try {
    const v = JSON.parse(text) as Record<string, unknown>;
    if (v && typeof v === 'object' && v.by === 'create' && typeof v.at === 'string')
      return { by: 'create', at: v.at };
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
): Promise<void> {
  const value: WorkerInstallMarker = { by: 'create', at: at.toISOString() };
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

/** Why a worker's boot stopped waiting for create's SSH bootstrap. */
export type CreateInstallOutcome = 'no-marker' | 'finished' | 'stale' | 'timeout';

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
  if (!marker) return 'no-marker';
  events.emit({
    code: 'boot.worker-waits-for-create',
    level: 'info',
    message: `tugboat create is installing the workers of ${cluster} over SSH (${workerInstallMarkerName(cluster)}, ${marker.at}): ${options.instanceId} waits for it rather than install the agent at the same time`,
  });
  let lastAt = marker.at;
  let changedAt = Date.now();
  for (;;) {
    await sleep(pollMs);
    marker = await read();
    if (!marker) return 'finished';
    const now = Date.now();
    if (marker.at !== lastAt) {
      lastAt = marker.at;
      changedAt = now;
    } else if (now - changedAt >= staleMs) {
      events.emit({
        code: 'boot.create-marker-stale',
        level: 'warn',
        message: `tugboat create's marker for ${cluster} has not been refreshed for ${Math.round(staleMs / 1000)} s (last ${marker.at}): the create was interrupted or failed; ${options.instanceId} joins by itself`,
      });
      return 'stale';
    }
    if (now >= deadline) {
      events.emit({
        code: 'boot.create-wait-timeout',
        level: 'warn',
        message: `tugboat create has been installing ${cluster} for more than ${Math.round((now - started) / 1000)} s: ${options.instanceId} joins by itself`,
      });
      return 'timeout';
    }
  }
}
