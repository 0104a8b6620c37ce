import type { ConfigIssue } from '../errors.js';
import type { ClusterSpecDocument } from './schema.js';

/** Master counts tugboat accepts: odd, so a majority survives the loss of (count - 1) / 2 members. */
export const MASTER_COUNTS = [1, 3, 5] as const;

/** Members etcd needs to agree on a write: a majority. */
export const quorumOf = (members: number): number => Math.floor(members / 2) + 1;

/** Members that may be lost while a majority remains. */
export const failuresTolerated = (members: number): number => Math.max(0, members - quorumOf(members));

/**
 * The zone of each master, 0-based master index → zone: round robin over the cluster's zones in
 * their order (kops places one master instance group per zone the same way). Pure.
 */
export function masterZones(count: number, zones: readonly string[]): string[] {
  return Array.from({ length: count }, (_, i) => zones[i % zones.length]!);
}

/**
 * Checks `master.count` and what it implies: an odd count of 1, 3 or 5; the store (etcd whenever
 * there is more than one master); and a spread over the zones in which no zone holds a majority
 * (otherwise losing that zone loses quorum, the failure the extra masters are there for). Pure.
 */
export function validateMasters(doc: ClusterSpecDocument): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const count = doc.master.count;
  if (!(MASTER_COUNTS as readonly number[]).includes(count)) {
    issues.push({ path: 'master.count', message: countMessage(count) });
    return issues;
  }
  if (count === 1) return issues;
  if (doc.store === 'embedded') {
    issues.push({
      path: 'store',
      message: `"embedded" keeps the state on one master's disk and cannot serve ${count} masters: remove store (etcd is the default with more than one master) or set store: etcd`,
    });
  }
  const zones = doc.availabilityZones;
  if (zones.length === 0) return issues;
  const perZone = new Map<string, number>();
  for (const zone of masterZones(count, zones)) perZone.set(zone, (perZone.get(zone) ?? 0) + 1);
  const [zone, most] = [...perZone].sort((a, b) => b[1] - a[1])[0]!;
  if (most >= quorumOf(count)) {
    const need = Math.ceil(count / (quorumOf(count) - 1));
    issues.push({
      path: 'availabilityZones',
      message: `${count} masters over ${zones.length} zone${zones.length === 1 ? '' : 's'} put ${most} in ${zone}, a majority: losing that zone would lose etcd's quorum. List at least ${need} zones (masters are spread round robin), or use master.count: 1`,
    });
  }
  return issues;
}

function countMessage(count: number): string {
  if (count < 1) return `${count} masters leave no API server: use 1, 3 or 5`;
  if (count > 5)
    return `${count} masters: at most 5 (every etcd member slows each write, and 5 already survive ${failuresTolerated(5)} failures): use 5`;
  // Even: a majority of n needs as many survivors as a majority of n + 1.
  const tolerated = failuresTolerated(count);
  return `${count} is even: etcd needs a majority (${quorumOf(count)} of ${count}) to write, so ${count} masters survive ${tolerated} failure${tolerated === 1 ? '' : 's'}, no more than ${count - 1}: use ${count - 1} or ${count + 1} (1, 3 or 5)`;
}
