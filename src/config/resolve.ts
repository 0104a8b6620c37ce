import { formatCidr, normalizeCidr, parseCidr, subdivide } from './cidr.js';
import type { ClusterSpecDocument } from './schema.js';
import type { ClusterSpec, NetworkSpec } from './types.js';

/** The VPC CIDR used when the spec gives neither `network.vpcCidr` nor `network.vpcId`. */
export const DEFAULT_VPC_CIDR = '10.0.0.0/16';

/** Subnets are the VPC split in 16 (four more prefix bits): room for up to 16 zones, /20 in a /16. */
const SUBNET_EXTRA_BITS = 4;

/**
 * The CIDR of the subnet for the `index`-th availability zone of a new VPC: block `index` of the VPC
 * split into 16. Deterministic, so the same spec always gives the same subnets.
 */
export function deriveSubnetCidr(vpcCidr: string, index: number): string {
  const parsed = parseCidr(vpcCidr);
  if (!parsed) throw new RangeError(`not a cidr: ${vpcCidr}`);
  return formatCidr(subdivide(parsed.cidr, parsed.cidr.prefix + SUBNET_EXTRA_BITS, index));
}

/**
 * Fills in derived values of a document that passed validation: the network (subnet per zone),
 * worker group zones and API CIDRs. Pure.
 */
export function resolveClusterSpec(doc: ClusterSpecDocument): ClusterSpec {
  const net = doc.network;
  const byZone = new Map((net.subnets ?? []).map((s) => [s.zone, s]));
  let network: NetworkSpec;
  const ranges = {
    podCidr: normalizeCidr(net.podCidr),
    nodePodCidrPrefix: net.nodePodCidrPrefix,
    serviceCidr: normalizeCidr(net.serviceCidr),
  };
  if (net.vpcId !== undefined) {
    network = {
      ...ranges,
      kind: 'existing',
      vpcId: net.vpcId,
      subnets: doc.availabilityZones.map((zone) => ({ zone, id: byZone.get(zone)?.id ?? '' })),
    };
  } else {
    const vpcCidr = normalizeCidr(net.vpcCidr ?? DEFAULT_VPC_CIDR);
    network = {
      ...ranges,
      kind: 'new',
      vpcCidr,
      subnets: doc.availabilityZones.map((zone, i) => {
        const given = byZone.get(zone)?.cidr;
        return { zone, cidr: given !== undefined ? normalizeCidr(given) : deriveSubnetCidr(vpcCidr, i) };
      }),
    };
  }
  return {
    ...doc,
    network,
    store: doc.store ?? (doc.master.count > 1 ? 'etcd' : 'embedded'),
    api: { ...doc.api, allowedCidrs: doc.api.allowedCidrs ?? doc.ssh.allowedCidrs },
    master: { ...doc.master, schedulable: doc.master.schedulable ?? doc.workerGroups.length === 0 },
    workerGroups: doc.workerGroups.map((g) => ({ ...g, zones: g.zones ?? doc.availabilityZones })),
  };
}
