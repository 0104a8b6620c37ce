import { isNotFound } from '../client/api-error.js';
import { resources } from '../client/types.js';
import { CoalescingRunner } from '../coalescing-runner.js';
import type { PodStatus } from '../kube/index.js';
import { buildPodStatus } from './pod-status.js';
import { isTerminal, type PodRecord, type SyncContext } from './sync-context.js';

/**
 * Writes a pod's status from the last sync pass's view of its containers and the probes' results
 * as they are now (the kubelet's status manager). Sync passes and probe results both come here:
 * one writer per pod, so writes never cross, and requests that arrive during a write share one
 * more write after it. Nothing is sent when the status has not changed.
 */
export function writePodStatus(ctx: SyncContext, rec: PodRecord): Promise<void> {
  rec.statusWriter ??= new CoalescingRunner(() => writeCurrentStatus(ctx, rec));
  return rec.statusWriter.run();
}

async function writeCurrentStatus(ctx: SyncContext, rec: PodRecord): Promise<void> {
  const pod = rec.pod;
  const uid = pod.metadata.uid ?? '';
  const views = (rec.views ?? []).map((v) => ({ ...v, ...ctx.probes.status(uid, v.spec, v.current) }));
  const status = buildPodStatus(pod, views, {
    runtimeName: ctx.options.runtime.name,
    hostIP: ctx.options.hostIP(),
    podIP: rec.podIP,
    startTime: pod.status?.startTime ?? rec.startTime,
    now: new Date(ctx.now()).toISOString(),
  });
  await patchStatus(ctx, rec, status);
}

async function patchStatus(ctx: SyncContext, rec: PodRecord, status: PodStatus): Promise<void> {
  const text = JSON.stringify(status);
  if (text === rec.lastStatus) return;
  const pod = rec.pod;
  try {
    await ctx.options.client.patch(
      resources.pods,
      pod.metadata.name ?? '',
      { status },
      { namespace: pod.metadata.namespace, subresource: 'status' },
    );
    rec.lastStatus = text;
    rec.pod = { ...pod, status };
    rec.terminal = isTerminal(status.phase);
  } catch (err) {
    if (isNotFound(err)) return;
    throw err;
  }
}
