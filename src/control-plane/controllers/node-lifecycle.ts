import type { Lease, Node, Pod, Taint } from '../../kube/index.js';
import { formatTime, parseTime } from '../machinery/clock.js';
import { clone, getCondition, isPodActive } from '../machinery/objects.js';
import { notReadyTaintKey, tolerates, unreachableTaintKey } from '../scheduler/taints.js';
import { type Action, deleteAction, eventAction } from './actions.js';

/** Namespace of the node heartbeat Leases (one per node, named after it). */
export const nodeLeaseNamespace = 'kube-node-lease';

export interface NodeLifecycleOptions {
  /** A node whose Lease is not renewed for this long is marked Ready=Unknown. @default 40 */
  readonly nodeMonitorGracePeriodSeconds?: number;
  /** How long pods without their own toleration stay on a not-ready or unreachable node. @default 60 */
  readonly podEvictionTimeoutSeconds?: number;
}

/** When the controller last saw each node's heartbeat change, by its own clock (immune to host clock skew). */
export type NodeHealth = Map<string, { heartbeat: string | undefined; observedAt: number }>;

export interface NodeLifecycleResult {
  readonly actions: Action[];
  /** Earliest time something will change without new input (grace expiry, an eviction); undefined if none. */
  readonly wakeAt: number | undefined;
}

const conditionTypes = ['Ready', 'MemoryPressure', 'DiskPressure', 'PIDPressure'];

function heartbeatOf(node: Node, lease: Lease | undefined): string | undefined {
  return lease?.spec.renewTime ?? getCondition(node.status?.conditions, 'Ready')?.lastHeartbeatTime;
}

/** When a pod must leave a node with these NoExecute taints; Infinity when it tolerates them for ever. */
export function evictionTime(
  pod: Pod,
  taints: readonly Taint[],
  now: number,
  defaultSeconds: number,
): number {
  let at = Number.POSITIVE_INFINITY;
  for (const taint of taints) {
    if (taint.effect !== 'NoExecute') continue;
    const added = parseTime(taint.timeAdded) ?? now;
    const matching = (pod.spec.tolerations ?? []).filter((t) => tolerates(t, taint));
    let seconds: number;
    if (matching.length === 0) {
      seconds = taint.key === unreachableTaintKey || taint.key === notReadyTaintKey ? defaultSeconds : 0;
    } else {
      seconds = Math.min(...matching.map((t) => t.tolerationSeconds ?? Number.POSITIVE_INFINITY));
    }
    at = Math.min(at, added + Math.max(0, seconds) * 1000);
  }
  return at;
}

function withTaint(taints: readonly Taint[], key: string, want: boolean, now: number): Taint[] {
  const rest = taints.filter((t) => !(t.key === key && t.effect === 'NoExecute'));
  return want
    ? [
        ...rest,
        taints.find((t) => t.key === key && t.effect === 'NoExecute') ?? {
          key,
          effect: 'NoExecute',
          timeAdded: formatTime(now),
        },
      ]
    : rest;
}

/**
 * One pass of the node lifecycle controller: nodes whose Lease stopped being renewed within the
 * grace period become Ready=Unknown with the NoExecute `node.kubernetes.io/unreachable` taint;
 * pods on NoExecute-tainted nodes are evicted once their toleration runs out; pods bound to
 * nodes that no longer exist are deleted. `health` is the controller's memory between passes.
 */
export function reconcileNodeLifecycle(
  nodes: readonly Node[],
  leases: ReadonlyMap<string, Lease>,
  pods: readonly Pod[],
  health: NodeHealth,
  now: number,
  options: NodeLifecycleOptions = {},
): NodeLifecycleResult {
  const grace = (options.nodeMonitorGracePeriodSeconds ?? 40) * 1000;
  const evictDefault = options.podEvictionTimeoutSeconds ?? 60;
  const actions: Action[] = [];
  let wakeAt: number | undefined;
  const wake = (t: number) => {
    if (Number.isFinite(t) && t > now && (wakeAt === undefined || t < wakeAt)) wakeAt = t;
  };
  const names = new Set<string>();
  const podsByNode = new Map<string, Pod[]>();
  for (const p of pods) {
    if (!p.spec.nodeName || !isPodActive(p)) continue;
    podsByNode.set(p.spec.nodeName, [...(podsByNode.get(p.spec.nodeName) ?? []), p]);
  }

  for (const node of nodes) {
    const name = node.metadata.name ?? '';
    names.add(name);
    const beat = heartbeatOf(node, leases.get(name));
    const seen = health.get(name);
    if (!seen || seen.heartbeat !== beat) health.set(name, { heartbeat: beat, observedAt: now });
    const observedAt = health.get(name)?.observedAt ?? now;
    const unreachable = now - observedAt > grace;
    wake(observedAt + grace + 1);
    const ready = getCondition(node.status?.conditions, 'Ready');
    const taints = node.spec?.taints ?? [];
    let nextTaints = withTaint(taints, unreachableTaintKey, unreachable, now);
    nextTaints = withTaint(nextTaints, notReadyTaintKey, !unreachable && ready?.status === 'False', now);
    let conditions = node.status?.conditions;
    if (unreachable && ready?.status !== 'Unknown') {
      conditions = conditionTypes.map((type) => ({
        ...(getCondition(node.status?.conditions, type) ?? {}),
        type,
        status: 'Unknown' as const,
        reason: 'NodeStatusUnknown',
        message: 'Kubelet stopped posting node status.',
        lastTransitionTime: formatTime(now),
      }));
      actions.push(eventAction(node, 'Normal', 'NodeNotReady', `Node ${name} status is now: NodeNotReady`));
    } else if (!unreachable && ready?.status === 'Unknown' && ready.reason === 'NodeStatusUnknown') {
      conditions = (node.status?.conditions ?? []).map((c) =>
        c.type === 'Ready'
          ? {
              ...c,
              status: 'True' as const,
              reason: 'NodeLeaseRenewed',
              message: 'node agent renewed its lease',
              lastTransitionTime: formatTime(now),
            }
          : c,
      );
      actions.push(eventAction(node, 'Normal', 'NodeReady', `Node ${name} status is now: NodeReady`));
    }
    const taintsChanged = JSON.stringify(nextTaints) !== JSON.stringify(taints);
    if (taintsChanged || conditions !== node.status?.conditions) {
      const next = clone(node);
      next.spec = { ...next.spec, taints: nextTaints };
      next.status = { ...next.status, ...(conditions ? { conditions } : {}) };
      if (taintsChanged) actions.push({ verb: 'update', resource: 'nodes', object: next });
      if (conditions !== node.status?.conditions)
        actions.push({ verb: 'updateStatus', resource: 'nodes', object: next });
    }
    const noExecute = nextTaints.filter((t) => t.effect === 'NoExecute');
    if (noExecute.length === 0) continue;
    for (const pod of podsByNode.get(name) ?? []) {
      const at = evictionTime(pod, noExecute, now, evictDefault);
      if (at <= now) {
        actions.push(deleteAction('pods', pod, unreachable ? 0 : undefined));
        actions.push(
          eventAction(
            pod,
            'Normal',
            'TaintManagerEviction',
            `Marking for deletion Pod ${pod.metadata.namespace}/${pod.metadata.name}`,
          ),
        );
      } else wake(at);
    }
  }
  for (const name of [...health.keys()]) if (!names.has(name)) health.delete(name);
  for (const [nodeName, list] of podsByNode) {
    if (names.has(nodeName)) continue;
    // Checked live before deleting: the node cache may lag a node that has just registered.
    const ifAbsent = { resource: 'nodes' as const, namespace: undefined, name: nodeName };
    for (const pod of list) actions.push({ ...deleteAction('pods', pod, 0), ifAbsent });
  }
  return { actions, wakeAt };
}
