import type { Lease, Node, Pod } from '../../kube/index.js';
import type { Clock } from '../machinery/clock.js';
import { byNamespace } from '../machinery/informers.js';
import type { ControllerDeps } from './controller-deps.js';
import { buildNodeIpamRange, type NodeIpamOptions, reconcileNodeCidrs } from './node-ipam.js';
import {
  type NodeHealth,
  type NodeLifecycleOptions,
  nodeLeaseNamespace,
  reconcileNodeLifecycle,
} from './node-lifecycle.js';
import type { ControllerRunner } from './runner.js';
import { hasLeaseShape, hasNodeShape, hasPodShape } from './well-formed.js';

/** Options of {@link registerNodeControllers}. */
export interface NodeControllerOptions {
  readonly clock: Clock;
  readonly lifecycle?: NodeLifecycleOptions;
  /** How often node health is checked. @default 5000 */
  readonly monitorPeriodMs?: number;
  /** Give each Node a block of this pod range. @default no node IPAM */
  readonly ipam?: NodeIpamOptions;
}

/**
 * The node lifecycle controller (leases → Ready conditions, taints and evictions; one key, woken
 * every monitor period or when a grace ends) and node IPAM (one key: allocation looks at every
 * Node at once, and written blocks reach the cache at once, so a block is never handed out twice).
 */
export function registerNodeControllers(
  deps: ControllerDeps,
  options: NodeControllerOptions,
): ControllerRunner[] {
  const { informers: inf, make, apply, applyEach } = deps;
  const { clock } = options;
  const health: NodeHealth = new Map();
  const lifecycle = make('node-lifecycle', async () => {
    const leases = new Map<string, Lease>();
    for (const l of inf.leases.byIndex(byNamespace, nodeLeaseNamespace).filter(hasLeaseShape) as Lease[])
      leases.set(l.metadata.name ?? '', l);
    const result = reconcileNodeLifecycle(
      inf.nodes.list().filter(hasNodeShape) as Node[],
      leases,
      inf.pods.list().filter(hasPodShape) as Pod[],
      health,
      clock.now(),
      options.lifecycle,
    );
    await applyEach('node-lifecycle', result.actions);
    const period = options.monitorPeriodMs ?? 5_000;
    const untilWake = result.wakeAt === undefined ? period : Math.max(10, result.wakeAt - clock.now());
    return { requeueAfterMs: Math.min(period, untilWake) };
  });
  const range = options.ipam ? buildNodeIpamRange(options.ipam) : undefined;
  const ipam = make('node-ipam', async () => {
    if (range) await apply(reconcileNodeCidrs(inf.nodes.list() as Node[], range));
    return undefined;
  });
  inf.nodes.addHandlers({
    onAdd: () => ipam.enqueue('all'),
    onDelete: () => {
      ipam.enqueue('all');
      lifecycle.enqueue('all');
    },
  });
  return [lifecycle, ipam];
}
