import {
  AssociateAddressCommand,
  CreateTagsCommand,
  DeleteKeyPairCommand,
  DescribeAddressesCommand,
  DescribeKeyPairsCommand,
  DescribeLaunchTemplateVersionsCommand,
  DisassociateAddressCommand,
  type EC2Client,
  ImportKeyPairCommand,
  paginateDescribeInstances,
  paginateDescribeVolumes,
  ReleaseAddressCommand,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import type { Ec2Api, Ec2AttachedVolume, Ec2Instance, LaunchTemplateVersionData } from './ec2.js';
import type { Ec2SweepApi } from './ec2-sweep.js';
import { sdkEc2Network, sdkFilters } from './ec2-sweep-sdk.js';
import { awsCall } from './errors.js';
import { collectPages } from './pages.js';
import { tagsFromList, tagsToList } from './types.js';

/** The first block device mapping of a launch template that sets an EBS size. */
function templateVolume(
  mappings: readonly { DeviceName?: string; Ebs?: { VolumeSize?: number } }[] | undefined,
): { volume?: { device: string; size: number } } {
  const m = mappings?.find((x) => x.DeviceName && x.Ebs?.VolumeSize);
  return m ? { volume: { device: m.DeviceName!, size: m.Ebs!.VolumeSize! } } : {};
}

/** The EC2 API over the SDK client: one adapter serves both `Ec2Api` and the sweep's `Ec2SweepApi`. */
export function sdkEc2(client: EC2Client, endpoint?: string): Ec2Api & Ec2SweepApi {
  const call = <T>(action: string, fn: () => Promise<T>) => awsCall(`ec2:${action}`, fn, endpoint);

  /** Reads every page of a describe call through the SDK's paginator (at most MAX_PAGES). */
  const pages = <P, T>(action: string, paginator: AsyncIterable<P>, pick: (page: P) => readonly T[]) =>
    call(action, () => collectPages(paginator, pick));

  return {
    describeInstances: (filters) =>
      pages(
        'DescribeInstances',
        paginateDescribeInstances({ client }, { Filters: sdkFilters(filters) }),
        (out) =>
          (out.Reservations ?? []).flatMap((r) =>
            (r.Instances ?? []).map(
              (i): Ec2Instance => ({
                id: i.InstanceId ?? '',
                state: i.State?.Name ?? 'unknown',
                ...(i.PrivateIpAddress ? { privateIp: i.PrivateIpAddress } : {}),
                ...(i.PublicIpAddress ? { publicIp: i.PublicIpAddress } : {}),
                ...(i.Placement?.AvailabilityZone ? { zone: i.Placement.AvailabilityZone } : {}),
                ...(i.VpcId ? { vpcId: i.VpcId } : {}),
                ...(i.InstanceType ? { instanceType: i.InstanceType } : {}),
                ...(i.ImageId ? { imageId: i.ImageId } : {}),
                tags: tagsFromList(i.Tags),
              }),
            ),
          ),
      ),
    async describeLaunchTemplateVersion(id, version): Promise<LaunchTemplateVersionData | undefined> {
      const out = await call('DescribeLaunchTemplateVersions', () =>
        client.send(new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateId: id, Versions: [version] })),
      );
      const v = out.LaunchTemplateVersions?.[0];
      if (!v) return undefined;
      const data = v.LaunchTemplateData;
      return {
        version: String(v.VersionNumber ?? version),
        ...(data?.InstanceType ? { instanceType: data.InstanceType } : {}),
        ...(data?.ImageId ? { imageId: data.ImageId } : {}),
        ...templateVolume(data?.BlockDeviceMappings),
      };
    },
    describeAttachedVolumes: async (instanceIds) =>
      instanceIds.length === 0
        ? []
        : pages(
            'DescribeVolumes',
            paginateDescribeVolumes(
              { client },
              { Filters: [{ Name: 'attachment.instance-id', Values: [...instanceIds] }] },
            ),
            (out) =>
              (out.Volumes ?? []).flatMap((v) =>
                (v.Attachments ?? [])
                  .filter((a) => a.InstanceId && a.Device && instanceIds.includes(a.InstanceId))
                  .map(
                    (a): Ec2AttachedVolume => ({
                      instanceId: a.InstanceId!,
                      device: a.Device!,
                      size: v.Size ?? 0,
                    }),
                  ),
              ),
          ),
    async terminateInstances(ids) {
      if (ids.length === 0) return;
      await call('TerminateInstances', () =>
        client.send(new TerminateInstancesCommand({ InstanceIds: [...ids] })),
      );
    },
    async describeAddresses(filters) {
      const out = await call('DescribeAddresses', () =>
        client.send(new DescribeAddressesCommand({ Filters: sdkFilters(filters) })),
      );
      return (out.Addresses ?? [])
        .filter((a) => a.AllocationId)
        .map((a) => ({
          allocationId: a.AllocationId ?? '',
          publicIp: a.PublicIp ?? '',
          // moto reports "" for unassociated fields; treat empty as absent.
          ...(a.AssociationId ? { associationId: a.AssociationId } : {}),
          ...(a.InstanceId ? { instanceId: a.InstanceId } : {}),
          ...(a.NetworkInterfaceId ? { networkInterfaceId: a.NetworkInterfaceId } : {}),
          tags: tagsFromList(a.Tags),
        }));
    },
    async associateAddress(input) {
      const out = await call('AssociateAddress', () =>
        client.send(
          new AssociateAddressCommand({
            AllocationId: input.allocationId,
            InstanceId: input.instanceId,
            AllowReassociation: input.allowReassociation,
          }),
        ),
      );
      return out.AssociationId ?? '';
    },
    async disassociateAddress(associationId) {
      await call('DisassociateAddress', () =>
        client.send(new DisassociateAddressCommand({ AssociationId: associationId })),
      );
    },
    async releaseAddress(allocationId) {
      await call('ReleaseAddress', () =>
        client.send(new ReleaseAddressCommand({ AllocationId: allocationId })),
      );
    },
    async createTags(resourceIds, tags) {
      if (resourceIds.length === 0) return;
      await call('CreateTags', () =>
        client.send(new CreateTagsCommand({ Resources: [...resourceIds], Tags: tagsToList(tags) })),
      );
    },
    async importKeyPair(name, publicKey, tags) {
      const out = await call('ImportKeyPair', () =>
        client.send(
          new ImportKeyPairCommand({
            KeyName: name,
            PublicKeyMaterial: new TextEncoder().encode(publicKey),
            TagSpecifications: [{ ResourceType: 'key-pair', Tags: tagsToList(tags) }],
          }),
        ),
      );
      return out.KeyPairId ?? name;
    },
    async describeKeyPairs(filters) {
      const out = await call('DescribeKeyPairs', () =>
        client.send(new DescribeKeyPairsCommand({ Filters: sdkFilters(filters) })),
      );
      return (out.KeyPairs ?? []).map((k) => ({
        name: k.KeyName ?? '',
        id: k.KeyPairId ?? '',
        tags: tagsFromList(k.Tags),
      }));
    },
    async deleteKeyPair(name) {
      await call('DeleteKeyPair', () => client.send(new DeleteKeyPairCommand({ KeyName: name })));
    },
    ...sdkEc2Network(client, endpoint),
  };
}
