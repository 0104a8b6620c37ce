import {
  type AutoScalingClient,
  CreateOrUpdateTagsCommand,
  DeleteAutoScalingGroupCommand,
  DeleteTagsCommand,
  paginateDescribeAutoScalingGroups,
  type AutoScalingGroup as SdkGroup,
  TerminateInstanceInAutoScalingGroupCommand,
  UpdateAutoScalingGroupCommand,
} from '@aws-sdk/client-auto-scaling';
import { awsCall } from './errors.js';
import { collectPages } from './pages.js';
import { type Filter, type Tags, tagsFromList } from './types.js';

/** One instance of an auto-scaling group. */
export interface GroupInstance {
  readonly id: string;
  readonly zone: string;
  /** `Pending`, `InService`, `Terminating`, ... */
  readonly lifecycleState: string;
  readonly healthStatus: string;
}

/** An auto-scaling group with its sizes and instances. */
export interface AutoScalingGroup {
  readonly name: string;
  readonly min: number;
  readonly max: number;
  readonly desired: number;
  readonly instances: readonly GroupInstance[];
  readonly tags: Tags;
  /** The launch template new instances come from, as the group names it (version may be `$Latest`). */
  readonly launchTemplate?: { readonly id: string; readonly version: string };
  /** Set (e.g. `Delete in progress`) while the group is being deleted. */
  readonly status?: string;
}

/** The Auto Scaling calls tugboat makes. */
export interface AutoScalingApi {
  /** Groups by name, or by tag filters (`tag:KEY`), every page. */
  describeGroups(query: {
    readonly names?: readonly string[];
    readonly filters?: readonly Filter[];
  }): Promise<AutoScalingGroup[]>;
  updateGroup(input: {
    readonly name: string;
    readonly min?: number;
    readonly max?: number;
    readonly desired?: number;
  }): Promise<void>;
  /** Deletes a group and (with `force`) terminates its instances. */
  deleteGroup(name: string, force: boolean): Promise<void>;
  /** Terminates one instance of a group; `decrement` lowers the desired capacity (no replacement). */
  terminateInstance(instanceId: string, decrement: boolean): Promise<void>;
  /** Sets (or, with `value` undefined, deletes) one tag on a group, not propagated to instances. */
  setGroupTag(name: string, key: string, value: string | undefined): Promise<void>;
}

function toGroup(g: SdkGroup): AutoScalingGroup {
  return {
    name: g.AutoScalingGroupName ?? '',
    min: g.MinSize ?? 0,
    max: g.MaxSize ?? 0,
    desired: g.DesiredCapacity ?? 0,
    instances: (g.Instances ?? []).map((i) => ({
      id: i.InstanceId ?? '',
      zone: i.AvailabilityZone ?? '',
      lifecycleState: i.LifecycleState ?? '',
      healthStatus: i.HealthStatus ?? '',
    })),
    tags: tagsFromList(g.Tags),
    ...(g.LaunchTemplate?.LaunchTemplateId
      ? {
          launchTemplate: {
            id: g.LaunchTemplate.LaunchTemplateId,
            version: g.LaunchTemplate.Version ?? '$Default',
          },
        }
      : {}),
    ...(g.Status ? { status: g.Status } : {}),
  };
}

/** The Auto Scaling API over the SDK client. */
export function sdkAutoScaling(client: AutoScalingClient, endpoint?: string): AutoScalingApi {
  const call = <T>(action: string, fn: () => Promise<T>) => awsCall(`autoscaling:${action}`, fn, endpoint);
  return {
    async describeGroups(query) {
      if (query.names && query.names.length === 0) return [];
      const input = {
        ...(query.names ? { AutoScalingGroupNames: [...query.names] } : {}),
        ...(query.filters
          ? { Filters: query.filters.map((f) => ({ Name: f.name, Values: [...f.values] })) }
          : {}),
      };
      const groups = await call('DescribeAutoScalingGroups', () =>
        collectPages(
          paginateDescribeAutoScalingGroups({ client }, input),
          (out) => out.AutoScalingGroups ?? [],
        ),
      );
      return groups.map(toGroup);
    },
    async updateGroup(input) {
      await call('UpdateAutoScalingGroup', () =>
        client.send(
          new UpdateAutoScalingGroupCommand({
            AutoScalingGroupName: input.name,
            ...(input.min === undefined ? {} : { MinSize: input.min }),
            ...(input.max === undefined ? {} : { MaxSize: input.max }),
            ...(input.desired === undefined ? {} : { DesiredCapacity: input.desired }),
          }),
        ),
      );
    },
    async deleteGroup(name, force) {
      await call('DeleteAutoScalingGroup', () =>
        client.send(new DeleteAutoScalingGroupCommand({ AutoScalingGroupName: name, ForceDelete: force })),
      );
    },
    async terminateInstance(instanceId, decrement) {
      await call('TerminateInstanceInAutoScalingGroup', () =>
        client.send(
          new TerminateInstanceInAutoScalingGroupCommand({
            InstanceId: instanceId,
            ShouldDecrementDesiredCapacity: decrement,
          }),
        ),
      );
    },
    async setGroupTag(name, key, value) {
      const tag = { ResourceId: name, ResourceType: 'auto-scaling-group', Key: key };
      await call(value === undefined ? 'DeleteTags' : 'CreateOrUpdateTags', () =>
        client.send(
          value === undefined
            ? new DeleteTagsCommand({ Tags: [tag] })
            : new CreateOrUpdateTagsCommand({ Tags: [{ ...tag, Value: value, PropagateAtLaunch: false }] }),
        ),
      );
    },
  };
}
