import type { AutoScalingApi, AutoScalingGroup } from '../aws/autoscaling.js';
import type { Ec2Api } from '../aws/ec2.js';
import { CLUSTER_TAG, clusterFilter, EIP_TAG, GROUP_TAG, ROLE_TAG } from '../aws/types.js';
import type { EventSink } from '../events.js';
import { pollUntil } from './wait.js';

/** One instance of the cluster. */
export interface Host {
  readonly id: string;
  readonly role: 'master' | 'worker';
  readonly group: string;
  readonly zone: string;
  /** Auto Scaling lifecycle state, e.g. `InService`. */
  readonly lifecycleState: string;
  /** EC2 state, e.g. `running`. */
  readonly state: string;
  readonly privateIp?: string;
  readonly publicIp?: string;
  /** The Elastic IP associated with the instance, if any. */
  readonly eip?: { readonly allocationId: string; readonly publicIp: string };
}

/** One auto-scaling group of the cluster. */
export interface GroupStatus {
  /** The tugboat group name (`master` for the master group). */
  readonly name: string;
  readonly role: 'master' | 'worker';
  readonly asgName: string;
  readonly min: number;
  readonly max: number;
  readonly desired: number;
  readonly inService: number;
  /** The spec says `eip: true` for this group (tag `tugboat:eip=true` on its auto-scaling group). */
  readonly eip: boolean;
  readonly hosts: readonly Host[];
}

/** Every group and instance of a cluster, from AWS alone (no local state); `BootstrapHosts` is what bootstrap reaches over SSH. */
export interface ClusterInstances {
  readonly cluster: string;
  readonly groups: readonly GroupStatus[];
  readonly hosts: readonly Host[];
}

/** What `listClusterInstances` and the waits need. */
export interface ClusterInstancesOptions {
  readonly ec2: Ec2Api;
  readonly autoScaling: AutoScalingApi;
  readonly cluster: string;
}

function roleOf(g: AutoScalingGroup): 'master' | 'worker' {
  return g.tags[ROLE_TAG] === 'master' ? 'master' : 'worker';
}

/** The tugboat group name of an ASG. */
export function groupNameOf(g: AutoScalingGroup): string {
  return g.tags[GROUP_TAG] ?? (roleOf(g) === 'master' ? 'master' : g.name);
}

/** Lists the cluster's ASGs (tagged `tugboat:cluster=<name>`), skipping ones being deleted. */
export async function findGroups(autoScaling: AutoScalingApi, cluster: string): Promise<AutoScalingGroup[]> {
  const groups = await autoScaling.describeGroups({ filters: [clusterFilter(cluster)] });
  // Emulators may ignore the filter; never report a group without the cluster's tag.
  return groups.filter((g) => g.tags[CLUSTER_TAG] === cluster && !g.status);
}

/** Reads the cluster's groups, instances and their addresses (ASG instances → hosts). */
export async function listClusterInstances(options: ClusterInstancesOptions): Promise<ClusterInstances> {
  const groups = await findGroups(options.autoScaling, options.cluster);
  const ids = groups.flatMap((g) => g.instances.map((i) => i.id));
  const instances = ids.length
    ? await options.ec2.describeInstances([{ name: 'instance-id', values: ids }])
    : [];
  const byId = new Map(instances.map((i) => [i.id, i]));
  const addresses = ids.length
    ? await options.ec2.describeAddresses([{ name: 'instance-id', values: ids }])
    : [];
  const eipById = new Map(addresses.filter((a) => a.instanceId).map((a) => [a.instanceId ?? '', a]));
  const statuses: GroupStatus[] = groups
    .map((g) => {
      const role = roleOf(g);
      const name = groupNameOf(g);
      const hosts: Host[] = g.instances.map((i) => {
        const ec2 = byId.get(i.id);
        const eip = eipById.get(i.id);
        return {
          id: i.id,
          role,
          group: name,
          zone: i.zone || ec2?.zone || '',
          lifecycleState: i.lifecycleState,
          state: ec2?.state ?? 'unknown',
          ...(ec2?.privateIp ? { privateIp: ec2.privateIp } : {}),
          ...(eip?.publicIp || ec2?.publicIp ? { publicIp: eip?.publicIp ?? ec2?.publicIp } : {}),
          ...(eip ? { eip: { allocationId: eip.allocationId, publicIp: eip.publicIp } } : {}),
        };
      });
      return {
        name,
        role,
        asgName: g.name,
        min: g.min,
        max: g.max,
        desired: g.desired,
        inService: g.instances.filter((i) => i.lifecycleState === 'InService').length,
        eip: g.tags[EIP_TAG] === 'true',
        hosts,
      };
    })
    .sort((a, b) => (a.role === b.role ? a.name.localeCompare(b.name) : a.role === 'master' ? -1 : 1));
  return { cluster: options.cluster, groups: statuses, hosts: statuses.flatMap((g) => g.hosts) };
}

/** Options of `waitForGroups`. */
export interface WaitForGroupsOptions extends ClusterInstancesOptions {
  readonly events: EventSink;
  readonly signal?: AbortSignal;
  /** @default 1_800_000 */
  readonly timeoutMs?: number;
  /** @default 5_000 */
  readonly pollIntervalMs?: number;
}

/**
 * Waits (bounded) until every group of the cluster has its desired number of instances
 * InService, emitting `groups.progress` whenever the counts change.
 */
export async function waitForGroups(options: WaitForGroupsOptions): Promise<ClusterInstances> {
  let last = '';
  return pollUntil(
    async () => {
      const inv = await listClusterInstances(options);
      const line = inv.groups.map((g) => `${g.name} ${g.inService}/${g.desired}`).join(', ');
      if (line !== last) {
        last = line;
        options.events.emit({
          code: 'groups.progress',
          level: 'info',
          message: `in service: ${line || 'no groups yet'}`,
          data: {
            groups: inv.groups.map((g) => ({ name: g.name, inService: g.inService, desired: g.desired })),
          },
        });
      }
      const ready = inv.groups.length > 0 && inv.groups.every((g) => g.inService >= g.desired);
      return ready ? inv : undefined;
    },
    {
      what: `instances of cluster ${options.cluster} to be InService`,
      timeoutMs: options.timeoutMs ?? 1_800_000,
      intervalMs: options.pollIntervalMs ?? 5_000,
      ...(options.signal ? { signal: options.signal } : {}),
      hint: 'check the auto-scaling activity in the EC2 console, then re-run the same command',
    },
  );
}
