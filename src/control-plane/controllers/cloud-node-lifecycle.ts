import { resources } from '../../client/types.js';
import { type EventSink, silentEvents } from '../../events.js';
import type { Node } from '../../kube/index.js';
import type { ControllerApi } from '../machinery/api.js';
import type { InstanceVerifier } from './instance-verifier.js';

/** Options of {@link startCloudNodeLifecycle}. */
export interface CloudNodeLifecycleOptions {
  readonly api: ControllerApi;
  readonly verifier: InstanceVerifier;
  /** How often NotReady nodes are checked (cloud-controller-manager's node monitor period). @default 5000 */
  readonly periodMs?: number;
  /** @default silentEvents */
  readonly events?: EventSink;
}

function isReady(node: Node): boolean {
  return (node.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}

/**
 * One pass of the cloud node-lifecycle controller (cloud-controller-manager): every Node that is
 * not Ready and whose instance no longer exists (terminated, or unknown to EC2) is deleted, with
 * its uid as precondition. The node lifecycle controller then deletes the pods bound to it at once,
 * so they are replaced without waiting out the eviction timeout. Ready nodes are not looked up
 * (no EC2 call per healthy node per period). Returns the names deleted.
 */
export async function removeGoneNodes(
  api: ControllerApi,
  verifier: InstanceVerifier,
  events: EventSink,
): Promise<string[]> {
  const deleted: string[] = [];
  const nodes = await api.list<Node>(resources.nodes);
  for (const node of nodes.items) {
    const name = node.metadata.name ?? '';
    if (isReady(node) || node.metadata.deletionTimestamp) continue;
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
    pass = removeGoneNodes(options.api, options.verifier, events)
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
