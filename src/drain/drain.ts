import { type ApiError, isStatus } from '../client/api-error.js';
import type { KubeClient } from '../client/client.js';
import { resources } from '../client/types.js';
import { TugboatError } from '../errors.js';
import { type EventSink, silentEvents } from '../events.js';
import type { Pod } from '../kube/index.js';
import { jitter, sleep } from '../timing.js';
import { cordonNode } from './cordon.js';
import { type DrainFilterOptions, podKey, selectDrainPods } from './pod-filters.js';

/** Options of {@link drainNode}. */
export interface DrainOptions extends DrainFilterOptions {
  /** Give up (and leave the node cordoned) after this long. @default 300_000 */
  readonly timeoutMs?: number;
  /** Grace period passed to each eviction. @default each pod's own */
  readonly gracePeriodSeconds?: number;
  /** First wait after a 429 (a PodDisruptionBudget says no); doubles up to 5 s. @default 500 */
  readonly retryMs?: number;
  readonly events?: EventSink;
  /** Stops the drain between requests (AbortError); the node stays cordoned. */
  readonly signal?: AbortSignal;
}

/** What a drain did. */
export interface DrainResult {
  readonly node: string;
  /** `namespace/name` of every pod evicted (and gone). */
  readonly evicted: readonly string[];
  /** `namespace/name` of pods left on the node (DaemonSet-managed, mirror). */
  readonly skipped: readonly string[];
  /** 429 answers met along the way (each one a budget that held). */
  readonly budgetRetries: number;
}

/** A drain that cannot start (pods that need a flag) or did not finish in time. */
export class DrainError extends TugboatError {
  constructor(message: string, exitCode = 1) {
    super('DRAIN_FAILED', message, { exitCode });
  }
}

const MAX_RETRY_MS = 5_000;
const POLL_MS = 250;

/**
 * `kubectl drain` as a library: cordons `node`, evicts its pods through the Eviction API (so
 * PodDisruptionBudgets hold: a 429 is retried with back-off until `timeoutMs`), and waits until
 * every evicted pod is gone (deleted, or replaced by one with another uid). The node stays
 * cordoned; {@link cordonNode} with `false` uncordons it. Refuses, before cordoning, when a pod
 * needs a flag kubectl would ask for (`ignoreDaemonSets`, `force`, `deleteEmptyDirData`).
 */
export async function drainNode(
  client: KubeClient,
  node: string,
  options: DrainOptions = {},
): Promise<DrainResult> {
  const events = options.events ?? silentEvents;
  const deadline = Date.now() + (options.timeoutMs ?? 300_000);
  const pods = (await client.list<Pod>(resources.pods, { fieldSelector: { 'spec.nodeName': node } })).items;
  const selection = selectDrainPods(pods, options);
  if (selection.errors.length > 0) {
    throw new DrainError(`cannot drain node ${node}:\n${selection.errors.join('\n')}`, 2);
  }
  await cordonNode(client, node, true);
  events.emit({ code: 'drain.cordoned', level: 'info', message: `node/${node} cordoned`, data: { node } });
  for (const w of selection.warnings)
    events.emit({ code: 'drain.warning', level: 'warn', message: w, data: { node } });

  let budgetRetries = 0;
  const evictOne = async (pod: Pod): Promise<void> => {
    let wait = options.retryMs ?? 500;
    for (;;) {
      if (options.signal?.aborted) throw new DrainError(`drain of ${node} aborted`, 130);
      events.emit({
        code: 'drain.evict',
        level: 'info',
        message: `evicting pod ${podKey(pod)}`,
        data: { node },
      });
      try {
        await client.createSubresource(
          resources.pods,
          pod.metadata.name ?? '',
          'eviction',
          {
            apiVersion: 'policy/v1',
            kind: 'Eviction',
            metadata: { name: pod.metadata.name, namespace: pod.metadata.namespace },
            ...(options.gracePeriodSeconds !== undefined
              ? { deleteOptions: { gracePeriodSeconds: options.gracePeriodSeconds } }
              : {}),
          },
          pod.metadata.namespace,
        );
        return;
      } catch (err) {
        if (isStatus(err, 404)) return;
        if (!isStatus(err, 429)) throw err;
        budgetRetries++;
        const message = (err as ApiError).body?.message ?? (err as ApiError).message;
        if (Date.now() + wait > deadline) {
          throw new DrainError(`drain of ${node} timed out evicting pod ${podKey(pod)}: ${message}`);
        }
        events.emit({
          code: 'drain.retry',
          level: 'warn',
          message: `error when evicting pods/"${pod.metadata.name}" -n "${pod.metadata.namespace}" (will retry after ${wait}ms): ${message}`,
          data: { node, pod: podKey(pod) },
        });
        await sleep(jitter(wait), options.signal);
        wait = Math.min(wait * 2, MAX_RETRY_MS);
      }
    }
  };
  const waitGone = async (pod: Pod): Promise<void> => {
    for (;;) {
      const now = await client
        .get<Pod>(resources.pods, pod.metadata.name ?? '', pod.metadata.namespace)
        .catch((err: unknown) => {
          if (isStatus(err, 404)) return undefined;
          throw err;
        });
      if (!now || now.metadata.uid !== pod.metadata.uid) return;
      if (Date.now() > deadline)
        throw new DrainError(`drain of ${node} timed out waiting for pod ${podKey(pod)} to go`);
      await sleep(POLL_MS, options.signal);
    }
  };
  // In parallel as kubectl does: each pod waits for its own budget, none blocks the others.
  const results = await Promise.allSettled(
    selection.evict.map(async (pod) => {
      await evictOne(pod);
      await waitGone(pod);
      events.emit({
        code: 'drain.evicted',
        level: 'info',
        message: `pod/${pod.metadata.name} evicted`,
        data: { node },
      });
    }),
  );
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  events.emit({ code: 'drain.done', level: 'info', message: `node/${node} drained`, data: { node } });
  return {
    node,
    evicted: selection.evict.map(podKey),
    skipped: selection.skipped.map((s) => podKey(s.pod)),
    budgetRetries,
  };
}
