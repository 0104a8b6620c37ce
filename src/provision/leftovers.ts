import type { AwsClients } from '../aws/clients.js';
import type { RecordSet } from '../aws/route53.js';
import type { BucketRef } from '../aws/s3.js';
import { CLUSTER_TAG, clusterFilter, type Tags } from '../aws/types.js';
import {
  keyLeftovers,
  objectLeftovers,
  parameterLeftovers,
  type StorageLeftoverOptions,
} from './leftovers-storage.js';
import { ownershipTxt } from './template/names.js';

/** Kinds of resources tugboat creates, in the order the sweep deletes them. */
export const RESOURCE_KINDS = [
  'auto-scaling-group',
  'instance',
  'launch-template',
  'elastic-ip',
  'network-interface',
  'security-group',
  'subnet',
  'route-table',
  'internet-gateway',
  'vpc',
  'key-pair',
  'dns-record',
  'hosted-zone',
  'template-object',
  'state-object',
  'ssm-parameter',
  'kms-key',
] as const;

/** A kind of resource tugboat creates. */
export type ResourceKind = (typeof RESOURCE_KINDS)[number];

/** A tagged resource of the cluster that still exists. */
export interface Leftover {
  readonly kind: ResourceKind;
  readonly id: string;
  /** What the delete needs: attachment ids, VPC ids, zone id, the record itself. */
  readonly detail?: {
    readonly vpcIds?: readonly string[];
    readonly associationIds?: readonly string[];
    readonly associationId?: string;
    readonly attachmentId?: string;
    readonly zoneId?: string;
    readonly record?: RecordSet;
    readonly state?: string;
    readonly bucket?: BucketRef;
  };
}

const owned = (tags: Tags, cluster: string) => tags[CLUSTER_TAG] === cluster;

export { ownershipTxt };

async function dnsLeftovers(aws: AwsClients, cluster: string): Promise<Leftover[]> {
  const zones = await aws.route53.listHostedZones();
  if (zones.length === 0) return [];
  const tags = await aws.route53.zoneTags(zones.map((z) => z.id));
  const out: Leftover[] = [];
  for (const zone of zones) {
    const zoneOwned = owned(tags[zone.id] ?? {}, cluster);
    const records = await aws.route53.listRecordSets(zone.id);
    const ownedNames = new Set(
      records.filter((r) => r.type === 'TXT' && r.values.includes(ownershipTxt(cluster))).map((r) => r.name),
    );
    for (const r of records) {
      const apex = r.name === zone.name && (r.type === 'SOA' || r.type === 'NS');
      if (apex || !(zoneOwned || ownedNames.has(r.name))) continue;
      out.push({ kind: 'dns-record', id: `${r.name} ${r.type}`, detail: { zoneId: zone.id, record: r } });
    }
    if (zoneOwned) out.push({ kind: 'hosted-zone', id: zone.id });
  }
  return out;
}

/**
 * Finds every resource of the cluster that still exists, by tag `tugboat:cluster=<name>` (tags
 * are checked again client-side: nothing untagged is ever returned). Network interfaces count when
 * they are tagged or sit in one of the cluster's VPCs (instances' own interfaces carry no tags).
 * DNS records count inside a tagged hosted zone or next to an ownership TXT record; S3 objects,
 * SSM parameters and KMS keys as `leftovers-storage.ts` says (a key pending deletion is gone).
 */
export async function findLeftovers(
  aws: AwsClients,
  cluster: string,
  options: StorageLeftoverOptions = {},
): Promise<Leftover[]> {
  return (await findLeftoversAndKept(aws, cluster, options)).left;
}

/** {@link findLeftovers}, and how many backups were kept (`keepBackups`). */
export async function findLeftoversAndKept(
  aws: AwsClients,
  cluster: string,
  options: StorageLeftoverOptions = {},
): Promise<{ readonly left: Leftover[]; readonly kept: number }> {
  const filter = [clusterFilter(cluster)];
  const ec2 = aws.ec2Sweep;
  const [groups, instances, templates, addresses, vpcs, subnets, tables, gateways, groupsSg, keys] =
    await Promise.all([
      aws.autoScaling.describeGroups({ filters: filter }),
      ec2.describeInstances(filter),
      ec2.describeLaunchTemplates(filter),
      ec2.describeAddresses(filter),
      ec2.describeVpcs(filter),
      ec2.describeSubnets(filter),
      ec2.describeRouteTables(filter),
      ec2.describeInternetGateways(filter),
      ec2.describeSecurityGroups(filter),
      ec2.describeKeyPairs(filter),
    ]);
  const vpcIds = vpcs.filter((v) => owned(v.tags, cluster)).map((v) => v.id);
  const enis = [
    ...(await ec2.describeNetworkInterfaces(filter)),
    ...(vpcIds.length ? await ec2.describeNetworkInterfaces([{ name: 'vpc-id', values: vpcIds }]) : []),
  ].filter((n, i, all) => all.findIndex((m) => m.id === n.id) === i);
  // A route table in the cluster's VPC is the cluster's even untagged (moto's CloudFormation drops
  // a RouteTable's Tags, so a stack created without stack tags — the no-client path — leaves one
  // that blocks the VPC's deletion); the main one goes with the VPC.
  const routeTables = [
    ...tables,
    ...(vpcIds.length ? await ec2.describeRouteTables([{ name: 'vpc-id', values: vpcIds }]) : []),
  ].filter((t, i, all) => all.findIndex((m) => m.id === t.id) === i);
  const out: Leftover[] = [];
  for (const g of groups) if (owned(g.tags, cluster)) out.push({ kind: 'auto-scaling-group', id: g.name });
  for (const i of instances) {
    if (owned(i.tags, cluster) && i.state !== 'terminated') {
      out.push({ kind: 'instance', id: i.id, detail: { state: i.state } });
    }
  }
  for (const t of templates) if (owned(t.tags, cluster)) out.push({ kind: 'launch-template', id: t.id });
  for (const a of addresses) {
    if (owned(a.tags, cluster)) {
      out.push({
        kind: 'elastic-ip',
        id: a.allocationId,
        detail: a.associationId ? { associationId: a.associationId } : {},
      });
    }
  }
  for (const n of enis) {
    if (owned(n.tags, cluster) || vpcIds.includes(n.vpcId ?? '')) {
      out.push({
        kind: 'network-interface',
        id: n.id,
        detail: n.attachmentId ? { attachmentId: n.attachmentId } : {},
      });
    }
  }
  for (const g of groupsSg) {
    if (owned(g.tags, cluster) && g.name !== 'default') out.push({ kind: 'security-group', id: g.id });
  }
  for (const s of subnets) if (owned(s.tags, cluster)) out.push({ kind: 'subnet', id: s.id });
  for (const t of routeTables) {
    if ((owned(t.tags, cluster) || vpcIds.includes(t.vpcId ?? '')) && !t.main) {
      out.push({ kind: 'route-table', id: t.id, detail: { associationIds: t.associationIds } });
    }
  }
  for (const g of gateways) {
    if (owned(g.tags, cluster))
      out.push({ kind: 'internet-gateway', id: g.id, detail: { vpcIds: g.attachedVpcIds } });
  }
  for (const id of vpcIds) out.push({ kind: 'vpc', id });
  for (const k of keys) if (owned(k.tags, cluster)) out.push({ kind: 'key-pair', id: k.name });
  out.push(...(await dnsLeftovers(aws, cluster)));
  const objects = await objectLeftovers(aws, cluster, options);
  out.push(...objects.left);
  out.push(...(await parameterLeftovers(aws, cluster)));
  out.push(...(await keyLeftovers(aws, cluster)));
  const rank = (k: ResourceKind) => RESOURCE_KINDS.indexOf(k);
  return { left: out.sort((a, b) => rank(a.kind) - rank(b.kind)), kept: objects.kept };
}
