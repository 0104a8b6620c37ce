import { ApiError, isNotFound } from '../client/api-error.js';
import { resources } from '../client/types.js';
import type { Pod } from '../kube/index.js';
import { SANDBOX_CONTAINER } from './network/pod-sandbox.js';
import { runPreStopHook } from './pre-stop.js';
import type { RuntimeContainer } from './runtime/types.js';
import type { SyncContext } from './sync-context.js';
import { cleanupVolumes } from './volumes.js';

/**
 * Terminates a deleted pod gracefully: runs each running container's preStop hook, then stops it
 * (SIGTERM, then SIGKILL after what is left of the grace period), removes the containers and their
 * volumes, then confirms the deletion with grace 0 so the API server drops the object. Returns the
 * grace period used.
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
    running
      .filter((c) => c.containerName !== SANDBOX_CONTAINER)
      .map((c) => stopContainer(ctx, pod, c, grace)),
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

/** One container: its preStop hook (a failure becomes an Event), then SIGTERM with the grace left. */
async function stopContainer(ctx: SyncContext, pod: Pod, c: RuntimeContainer, grace: number): Promise<void> {
  const { runtime } = ctx.options;
  const container = pod.spec.containers.find((x) => x.name === c.containerName);
  const hook = container
    ? await runPreStopHook({
        runtime,
        containerId: c.id,
        podIP: pod.status?.podIP ?? '',
        container,
        graceSeconds: grace,
        now: ctx.now,
      })
    : { graceLeftSeconds: grace };
  if (hook.result && !hook.result.ok)
    ctx.record(pod, {
      type: 'Warning',
      reason: 'FailedPreStopHook',
      message: `PreStopHook failed: ${hook.result.message}`,
      container: c.containerName,
    });
  await runtime.stop(c.id, hook.graceLeftSeconds);
}
