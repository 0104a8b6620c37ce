import type { Job } from '../../kube/index.js';
import { parseTime } from '../machinery/clock.js';
import { getCondition } from '../machinery/objects.js';
import { type Action, deleteAction } from './actions.js';

/** When a finished job finished: its completionTime, else its Complete/Failed condition's time. */
export function finishedAt(job: Job): number | undefined {
  for (const type of ['Complete', 'Failed']) {
    const c = getCondition(job.status?.conditions, type);
    if (c?.status === 'True')
      return parseTime(job.status?.completionTime) ?? parseTime(c.lastTransitionTime) ?? undefined;
  }
  return undefined;
}

/**
 * kube's TTL-after-finished controller for one Job: a finished job with `ttlSecondsAfterFinished`
 * is deleted (Foreground, so its pods go first) once the TTL has passed since it finished;
 * otherwise the time left, to look again then.
 */
export function reconcileTtlAfterFinished(
  job: Job,
  now: number,
): { actions: Action[]; requeueAfterMs?: number } {
  const ttl = job.spec.ttlSecondsAfterFinished;
  if (typeof ttl !== 'number' || job.metadata.deletionTimestamp) return { actions: [] };
  const at = finishedAt(job);
  if (at === undefined) return { actions: [] };
  const expires = at + ttl * 1000;
  if (now < expires) return { actions: [], requeueAfterMs: expires - now + 100 };
  return {
    actions: [deleteAction('jobs', job, undefined, 'Foreground')],
  };
}
