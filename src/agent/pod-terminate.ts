import { ApiError, isNotFound } from '../client/api-error.js';
import { resources } from '../client/types.js';
import type { Pod } from '../kube/index.js';
import { SANDBOX_CONTAINER } from './network/pod-sandbox.js';
import type { SyncContext } from './sync-context.js';
import { cleanupVolumes } from './volumes.js';

/**
 * Terminates a deleted pod gracefully: stops its running containers (SIGTERM, then SIGKILL after
 * the grace period), removes them and their volumes, then confirms the deletion with grace 0 so
 * the API server drops the object. Returns the grace period used.
 */
export async function terminatePod(ctx: SyncContext, pod: Pod): Promise<number> {
  const { runtime, client, dataDir } = ctx.options;
  const uid = pod.metadata.uid ?? '';
  const grace = pod.metadata.deletionGracePeriodSeconds ?? pod.spec.terminationGracePeriodSeconds ?? 30;
  const mine = (await runtime.list()).filter((c) => c.podUid === uid);
  for (const c of mine.filter((x) => x.state === 'running')) {
    ctx.record(pod, {
      type: 'Normal',
      reason: 'Killing',
      message: `Stopping container ${c.containerName}`,
      container: c.containerName,
    });
  }
  // The containers first, with their grace; then the sandbox (it only holds the namespace).
  const running = mine.filter((c) => c.state === 'running');
  await Promise.all(
    running.filter((c) => c.containerName !== SANDBOX_CONTAINER).map((c) => runtime.stop(c.id, grace)),
  );
  for (const c of running.filter((x) => x.containerName === SANDBOX_CONTAINER)) await runtime.stop(c.id, 0);
  for (const c of mine) await runtime.remove(c.id);
  await ctx.options.podNetwork?.release(uid);
  await cleanupVolumes(dataDir, uid);
  try {
    await client.delete(resources.pods, pod.metadata.name ?? '', {
      namespace: pod.metadata.namespace,
      gracePeriodSeconds: 0,
      uid,
    });
  } catch (err) {
    if (!isNotFound(err) && !(err instanceof ApiError && err.status === 409)) throw err;
  }
  return grace;
}
