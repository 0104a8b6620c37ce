import type { Node, Pod, Taint } from '../../kube/index.js';
import { controllerOf } from '../machinery/objects.js';
import { scheduledTaints } from './filters.js';
import { type HostPortKey, podHostPorts } from './host-ports.js';
import { nodeAllocatable, podRequests, podScoringRequests, type ResourceList } from './resources.js';

/** The zone label nodes carry (set by the agent from the instance's availability zone). */
export const zoneLabel = 'topology.kubernetes.io/zone';

/** What the scheduler knows about one node: the node and the sum of what its pods request. */
export interface NodeInfo {
  node: Node;
  /** Taints the scheduler enforces (own taints plus implied not-ready), computed once per node update. */
  taints: Taint[];
  readonly allocatable: ResourceList;
  readonly requested: ResourceList;
  /** Requested with the scoring defaults for pods that set no cpu/memory. */
  readonly scoringRequested: ResourceList;
  podCount: number;
  /** Pods per owning controller uid, for spreading. */
  readonly owners: Map<string, number>;
  /** Host ports held by the node's pods (`protocol/hostIP/port` → pods holding it). */
  readonly usedPorts: Map<HostPortKey, number>;
}

interface PodEntry {
  readonly node: string;
  readonly requests: ResourceList;
  readonly scoring: ResourceList;
  readonly owner: string | undefined;
  readonly hostPorts: readonly HostPortKey[];
}

function add(target: ResourceList, delta: ResourceList, sign: 1 | -1): void {
  for (const [k, v] of Object.entries(delta)) target[k] = (target[k] ?? 0) + sign * v;
}

/**
 * The scheduler's view of the cluster: nodes with the requests of the pods bound (or assumed
 * bound) to them, kept incrementally so scheduling one pod does not re-sum every pod.
 */
export class SchedulerCache {
  private readonly nodes = new Map<string, NodeInfo>();
  private readonly pods = new Map<string, PodEntry>();
  /** zone -> owner uid -> pods; zones count pods of nodes in them, feasible or not. */
  private readonly zones = new Map<string, Map<string, number>>();
  private order: NodeInfo[] | undefined;

  /** Adds or replaces a node (keeping the pods already accounted to it). */
  setNode(node: Node): void {
    const name = node.metadata.name ?? '';
    const existing = this.nodes.get(name);
    if (existing) {
      const oldZone = existing.node.metadata.labels?.[zoneLabel];
      const newZone = node.metadata.labels?.[zoneLabel];
      if (oldZone !== newZone) {
        this.addZoneCounts(existing, oldZone, -1);
        this.addZoneCounts(existing, newZone, 1);
      }
      existing.node = node;
      existing.taints = scheduledTaints(node);
      Object.assign(existing.allocatable, nodeAllocatable(node));
      return;
    }
    this.nodes.set(name, {
      node,
      taints: scheduledTaints(node),
      allocatable: nodeAllocatable(node),
      requested: {},
      scoringRequested: {},
      podCount: 0,
      owners: new Map(),
      usedPorts: new Map(),
    });
    this.order = undefined;
    for (const [key, entry] of this.pods) if (entry.node === name) this.account(key, entry, 1);
  }

  removeNode(name: string): void {
    const info = this.nodes.get(name);
    if (!info) return;
    this.addZoneCounts(info, info.node.metadata.labels?.[zoneLabel], -1);
    this.nodes.delete(name);
    this.order = undefined;
  }

  /** Accounts a pod bound (or assumed) to `nodeName`; replaces its previous accounting. */
  addPod(key: string, pod: Pod, nodeName: string): void {
    this.removePod(key);
    const entry: PodEntry = {
      node: nodeName,
      // Lenient: a bound pod is accounted even if one of its quantities is malformed.
      requests: podRequests(pod, false),
      scoring: podScoringRequests(pod, false),
      owner: controllerOf(pod)?.uid,
      hostPorts: podHostPorts(pod),
    };
    this.pods.set(key, entry);
    this.account(key, entry, 1);
  }

  removePod(key: string): void {
    const entry = this.pods.get(key);
    if (!entry) return;
    this.pods.delete(key);
    this.account(key, entry, -1);
  }

  hasPod(key: string): boolean {
    return this.pods.has(key);
  }

  /** All nodes, in a stable order (by name). */
  nodeList(): readonly NodeInfo[] {
    if (!this.order) {
      this.order = [...this.nodes.values()].sort((a, b) =>
        (a.node.metadata.name ?? '').localeCompare(b.node.metadata.name ?? ''),
      );
    }
    return this.order;
  }

  getNode(name: string): NodeInfo | undefined {
    return this.nodes.get(name);
  }

  /** Pods of `owner` in `zone`. */
  zoneCount(zone: string, owner: string): number {
    return this.zones.get(zone)?.get(owner) ?? 0;
  }

  private account(_key: string, entry: PodEntry, sign: 1 | -1): void {
    const info = this.nodes.get(entry.node);
    if (!info) return;
    add(info.requested, entry.requests, sign);
    add(info.scoringRequested, entry.scoring, sign);
    info.podCount += sign;
    for (const port of entry.hostPorts) {
      const n = (info.usedPorts.get(port) ?? 0) + sign;
      if (n > 0) info.usedPorts.set(port, n);
      else info.usedPorts.delete(port);
    }
    if (entry.owner) {
      info.owners.set(entry.owner, (info.owners.get(entry.owner) ?? 0) + sign);
      const zone = info.node.metadata.labels?.[zoneLabel];
      if (zone) this.bumpZone(zone, entry.owner, sign);
    }
  }

  private addZoneCounts(info: NodeInfo, zone: string | undefined, sign: 1 | -1): void {
    if (!zone) return;
    for (const [owner, n] of info.owners) this.bumpZone(zone, owner, sign * n);
  }

  private bumpZone(zone: string, owner: string, delta: number): void {
    let m = this.zones.get(zone);
    if (!m) {
      m = new Map();
      this.zones.set(zone, m);
    }
    m.set(owner, (m.get(owner) ?? 0) + delta);
  }
}
