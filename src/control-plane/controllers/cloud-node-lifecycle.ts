import { resources } from '../../client/types.js';
import { type EventSink, silentEvents } from '../../events.js';
import type { Lease, Node } from '../../kube/index.js';
import type { ControllerApi } from '../machinery/api.js';
import type { InstanceVerifier } from './instance-verifier.js';

/** Options of {@link startCloudNodeLifecycle}. */
export interface CloudNodeLifecycleOptions {
  readonly api: ControllerApi;
  readonly verifier: InstanceVerifier;
  /** How often NotReady nodes are checked (cloud-controller-manager's node monitor period). @default 5000 */
  readonly periodMs?: number;
  /**
   * A Ready node whose Lease was last renewed longer ago than this is looked up too: an instance
   * that AWS terminated stops renewing at once, long before the node monitor's grace period
   * makes it NotReady. Only a lookup: the node is deleted only when EC2 says the instance is gone.
   * @default 20_000 (two missed renewals of the agent's 10 s period)
   */
  readonly staleLeaseMs?: number;
  /** @default Date.now */
  readonly now?: () => number;
  /** @default silentEvents */
  readonly events?: EventSink;
}

/** Options of {@link removeGoneNodes} beyond the API and the verifier. */
export interface RemoveGoneNodesOptions {
  readonly events: EventSink;
  /** @default 20_000 */
  readonly staleLeaseMs?: number;
  /** @default Date.now */
  readonly now?: () => number;
}

function isReady(node: Node): boolean {
  return (node.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}

/** Names of the nodes whose Lease in kube-node-lease was renewed within `staleMs` of `now`. */
async function freshLeases(api: ControllerApi, staleMs: number, now: number): Promise<Set<string>> {
  const leases = await api.list<Lease>(resources.leases, { namespace: 'kube-node-lease' });
  const fresh = new Set<string>();
  for (const lease of leases.items) {
    const renewed = Date.parse(lease.spec?.renewTime ?? '');
    if (Number.isFinite(renewed) && now - renewed <= staleMs) fresh.add(lease.metadata.name ?? '');
  }
  return fresh;
}

/**
 * One pass of the cloud node-lifecycle controller (cloud-controller-manager): every Node that is
 * not Ready, or Ready with a Lease its agent stopped renewing, and whose instance no longer exists
 * (terminated, or unknown to EC2) is deleted, with its uid as precondition. The node lifecycle
 * controller then deletes the pods bound to it at once, so they are replaced without waiting out
 * the eviction timeout. Upstream looks up NotReady nodes only, so a terminated worker's pods wait
 * for the node monitor's grace period (40 s) first; the stale Lease catches it about 20 s
 * earlier. Nodes that report are not looked up (no EC2 call per healthy node per period).
 * Returns the names deleted.
 */
export async function removeGoneNodes(
  api: ControllerApi,
  verifier: InstanceVerifier,
  options: RemoveGoneNodesOptions,
): Promise<string[]> {
  const { events } = options;
  const deleted: string[] = [];
  const nodes = await api.list<Node>(resources.nodes);
  const candidates = nodes.items.filter((n) => !n.metadata.deletionTimestamp);
  const fresh = candidates.some(isReady)
    ? await freshLeases(api, options.staleLeaseMs ?? 20_000, (options.now ?? Date.now)())
    : new Set<string>();
  for (const node of candidates) {
    const name = node.metadata.name ?? '';
    if (isReady(node) && fresh.has(name)) continue;
    const providerID = (node.spec as { providerID?: string } | undefined)?.providerID;
    let state: 'exists' | 'gone' | 'unknown';
    try {
      state = await verifier.instanceState({ name, ...(providerID ? { providerID } : {}) });
    } catch (err) {
      events.emit({
        code: 'cloud-node.lookup-failed',
        level: 'warn',
        message: `cannot tell whether the instance of node ${name} exists: ${(err as Error).message}; keeping it`,
        data: { node: name },
      });
      continue;
    }
    if (state !== 'gone') continue;
    await api.delete(resources.nodes, undefined, name, { uid: node.metadata.uid }).then(
      () => {
        deleted.push(name);
        events.emit({
          code: 'cloud-node.deleted',
          level: 'info',
          message: `deleted node ${name}: its instance no longer exists`,
          data: { node: name },
        });
      },
      (err: unknown) =>
        events.emit({
          code: 'cloud-node.delete-failed',
          level: 'warn',
          message: `deleting node ${name}: ${(err as Error).message}`,
          data: { node: name },
        }),
    );
  }
  return deleted;
}

/** Runs {@link removeGoneNodes} every `periodMs` (one pass at a time) until stopped. */
export function startCloudNodeLifecycle(options: CloudNodeLifecycleOptions): { stop(): Promise<void> } {
  const events = options.events ?? silentEvents;
  let pass: Promise<unknown> = Promise.resolve();
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    pass = removeGoneNodes(options.api, options.verifier, {
      events,
      ...(options.staleLeaseMs !== undefined ? { staleLeaseMs: options.staleLeaseMs } : {}),
      ...(options.now ? { now: options.now } : {}),
    })
      .catch((err: unknown) =>
        events.emit({
          code: 'cloud-node.failed',
          level: 'warn',
          message: `cloud node lifecycle: ${String(err)}`,
        }),
      )
      .finally(() => {
        running = false;
      });
  }, options.periodMs ?? 5_000);
  return {
    async stop() {
      clearInterval(timer);
      await pass;
    },
  };
}
