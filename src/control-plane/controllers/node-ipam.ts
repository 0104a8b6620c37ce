import { type Cidr, cidrContains, formatCidr, parseCidr, subdivide } from '../../config/cidr.js';
import type { Node } from '../../kube/index.js';
import { clone } from '../machinery/objects.js';
import { type Action, eventAction } from './actions.js';

/** The cluster pod range and the size of each node's block of it. */
export interface NodeIpamOptions {
  /** The cluster's pod range, e.g. 10.244.0.0/16. */
  readonly clusterCidr: string;
  /** Prefix of each node's block. @default 24 */
  readonly nodeCidrPrefix?: number;
}

/** A validated allocator: the range, the block prefix and how many blocks there are. */
export interface NodeIpamRange {
  readonly cluster: Cidr;
  readonly prefix: number;
  readonly blocks: number;
}

/** Parses and checks the options; throws a RangeError naming the bad value. */
export function buildNodeIpamRange(options: NodeIpamOptions): NodeIpamRange {
  const parsed = parseCidr(options.clusterCidr);
  if (!parsed || parsed.hostBitsSet) {
    throw new RangeError(
      `cluster pod range ${options.clusterCidr} is not a network CIDR: use e.g. 10.244.0.0/16`,
    );
  }
  const prefix = options.nodeCidrPrefix ?? 24;
  if (!Number.isInteger(prefix) || prefix <= parsed.cidr.prefix || prefix > 30) {
    throw new RangeError(
      `node pod range prefix /${prefix} does not fit in ${options.clusterCidr}: use a prefix above /${parsed.cidr.prefix} and at most /30`,
    );
  }
  return { cluster: parsed.cidr, prefix, blocks: 2 ** (prefix - parsed.cidr.prefix) };
}

/**
 * One pass of the node IPAM controller (kube-controller-manager's range allocator): every Node
 * without `spec.podCIDR` gets the lowest free block of the cluster range, in `spec.podCIDR` and
 * `spec.podCIDRs`. Stateless and level-triggered: the blocks in use are those of the current
 * Nodes, so a deleted Node's block is free again and a restarted controller rebuilds its state
 * from the list.
 * A Node whose block lies outside the range or collides with another Node's keeps it (it may carry
 * pods) and gets a Warning event. Nodes are served oldest first, so the result is deterministic.
 */
export function reconcileNodeCidrs(nodes: readonly Node[], range: NodeIpamRange): Action[] {
  const actions: Action[] = [];
  const used = new Set<number>();
  const owner = new Map<number, string>();
  const sorted = [...nodes].sort(
    (a, b) =>
      (a.metadata.creationTimestamp ?? '').localeCompare(b.metadata.creationTimestamp ?? '') ||
      (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''),
  );
  const waiting: Node[] = [];
  for (const node of sorted) {
    const name = node.metadata.name ?? '';
    const text = node.spec?.podCIDR;
    if (!text) {
      waiting.push(node);
      continue;
    }
    const index = blockIndex(range, text);
    if (index === undefined) {
      actions.push(
        eventAction(
          node,
          'Warning',
          'CIDRNotAvailable',
          `node ${name} has podCIDR ${text} which is not a /${range.prefix} block of the cluster range ${formatCidr(range.cluster)}: its pods may be unreachable; delete and re-register the node to get a block`,
        ),
      );
      continue;
    }
    const other = owner.get(index);
    if (other !== undefined) {
      actions.push(
        eventAction(
          node,
          'Warning',
          'CIDRAssignmentFailed',
          `node ${name} has podCIDR ${text} which node ${other} also has: delete and re-register one of them`,
        ),
      );
      continue;
    }
    used.add(index);
    owner.set(index, name);
  }
  let next = 0;
  for (const node of waiting) {
    while (next < range.blocks && used.has(next)) next++;
    if (next >= range.blocks) {
      actions.push(
        eventAction(
          node,
          'Warning',
          'CIDRNotAvailable',
          `no free /${range.prefix} block left in the cluster pod range ${formatCidr(range.cluster)} for node ${node.metadata.name}: delete unused nodes or use a larger network.podCidr`,
        ),
      );
      continue;
    }
    used.add(next);
    const cidr = formatCidr(subdivide(range.cluster, range.prefix, next));
    const updated = clone(node);
    updated.spec = { ...updated.spec, podCIDR: cidr, podCIDRs: [cidr] };
    actions.push({ verb: 'update', resource: 'nodes', object: updated });
  }
  return actions;
}

/** The index of `text` among the range's blocks, or undefined when it is not one of them. */
function blockIndex(range: NodeIpamRange, text: string): number | undefined {
  const parsed = parseCidr(text);
  if (!parsed || parsed.hostBitsSet || parsed.cidr.prefix !== range.prefix) return undefined;
  if (!cidrContains(range.cluster, parsed.cidr)) return undefined;
  return (parsed.cidr.base - range.cluster.base) / 2 ** (32 - range.prefix);
}
