import { isNotFound } from '../client/api-error.js';
import type { KubeClient } from '../client/client.js';
import { resources } from '../client/types.js';
import { drainNode } from '../drain/index.js';
import type { EventSink } from '../events.js';
import type { Node } from '../kube/index.js';
import { EXCLUDE_FROM_LB } from '../kube/node.js';
import { pollUntil } from '../provision/wait.js';
import type { NodeReplacementOps } from './replace-instances.js';

/** Options of {@link kubeNodeReplacementOps}. */
export interface KubeNodeOpsOptions {
  readonly events?: EventSink;
  readonly signal?: AbortSignal;
  /** How long a new node may take to be Ready. @default 600_000 */
  readonly readyTimeoutMs?: number;
  /** How long one drain may take (PodDisruptionBudgets can hold it). @default 600_000 */
  readonly drainTimeoutMs?: number;
  /** @default 2_000 */
  readonly pollIntervalMs?: number;
}

function isReady(node: Node): boolean {
  return node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

/**
 * The node side of instance replacement through the cluster's API (nodes are named by instance
 * id): Ready is polled; a drain first labels the node out of load balancers
 * (`node.kubernetes.io/exclude-from-external-load-balancers`, as kOps' rolling update does), so
 * clients following a LoadBalancer Service's addresses leave it before its instance goes, then
 * evicts as `kubectl drain --ignore-daemonsets --delete-emptydir-data` does; the old Node object
 * is deleted once its instance is gone.
 */
export function kubeNodeReplacementOps(
  client: KubeClient,
  options: KubeNodeOpsOptions = {},
): NodeReplacementOps {
  const signal = options.signal;
  return {
    async waitReady(instanceId) {
      await pollUntil(
        async () => {
          const node = await client.get<Node>(resources.nodes, instanceId).catch((err: unknown) => {
            if (isNotFound(err)) return undefined;
            throw err;
          });
          return node && isReady(node) ? true : undefined;
        },
        {
          what: `node ${instanceId} to be Ready`,
          hint: `check the instance's bootstrap (tugboat status), then re-run tugboat update to continue`,
          timeoutMs: options.readyTimeoutMs ?? 600_000,
          intervalMs: options.pollIntervalMs ?? 2_000,
          ...(signal ? { signal } : {}),
        },
      );
    },
    async drain(instanceId) {
      try {
        await client.patch(resources.nodes, instanceId, {
          metadata: { labels: { [EXCLUDE_FROM_LB]: 'true' } },
        });
      } catch (err) {
        if (isNotFound(err)) return;
        throw err;
      }
      await drainNode(client, instanceId, {
        ignoreDaemonSets: true,
        deleteEmptyDirData: true,
        timeoutMs: options.drainTimeoutMs ?? 600_000,
        ...(options.events ? { events: options.events } : {}),
        ...(signal ? { signal } : {}),
      });
    },
    async remove(instanceId) {
      await client.delete(resources.nodes, instanceId).catch((err: unknown) => {
        if (!isNotFound(err)) throw err;
      });
    },
  };
}
