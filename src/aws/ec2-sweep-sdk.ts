import {
  DeleteInternetGatewayCommand,
  DeleteLaunchTemplateCommand,
  DeleteNetworkInterfaceCommand,
  DeleteRouteTableCommand,
  DeleteSecurityGroupCommand,
  DeleteSubnetCommand,
  DeleteVpcCommand,
  DescribeSecurityGroupsCommand,
  DetachInternetGatewayCommand,
  DetachNetworkInterfaceCommand,
  DisassociateRouteTableCommand,
  type EC2Client,
  type IpPermission,
  paginateDescribeInternetGateways,
  paginateDescribeLaunchTemplates,
  paginateDescribeNetworkInterfaces,
  paginateDescribeRouteTables,
  paginateDescribeSecurityGroups,
  paginateDescribeSubnets,
  paginateDescribeVpcs,
  RevokeSecurityGroupEgressCommand,
  RevokeSecurityGroupIngressCommand,
} from '@aws-sdk/client-ec2';
import type { Ec2SweepApi } from './ec2-sweep.js';
import { awsCall } from './errors.js';
import { collectPages } from './pages.js';
import { type Filter, tagsFromList } from './types.js';

/** EC2 filters as the SDK takes them (none: undefined, so the call lists everything). */
export function sdkFilters(filters: readonly Filter[]) {
  return filters.length ? filters.map((f) => ({ Name: f.name, Values: [...f.values] })) : undefined;
}

/** The network resources the teardown sweep finds and deletes (VPCs, subnets, routes, groups, ENIs, templates). */
export type Ec2NetworkSweepApi = Omit<
  Ec2SweepApi,
  | 'describeInstances'
  | 'describeAddresses'
  | 'disassociateAddress'
  | 'describeKeyPairs'
  | 'terminateInstances'
  | 'releaseAddress'
  | 'deleteKeyPair'
>;

/** The sweep's network calls over the SDK client (the instance, address and key calls are in ec2-sdk.ts). */
export function sdkEc2Network(client: EC2Client, endpoint?: string): Ec2NetworkSweepApi {
  const call = <T>(action: string, fn: () => Promise<T>) => awsCall(`ec2:${action}`, fn, endpoint);
  const pages = <P, T>(action: string, paginator: AsyncIterable<P>, pick: (page: P) => readonly T[]) =>
    call(action, () => collectPages(paginator, pick));

  return {
    describeVpcs: (filters) =>
      pages('DescribeVpcs', paginateDescribeVpcs({ client }, { Filters: sdkFilters(filters) }), (out) =>
        (out.Vpcs ?? []).map((v) => ({
          id: v.VpcId ?? '',
          vpcId: v.VpcId ?? '',
          tags: tagsFromList(v.Tags),
        })),
      ),
    describeSubnets: (filters) =>
      pages('DescribeSubnets', paginateDescribeSubnets({ client }, { Filters: sdkFilters(filters) }), (out) =>
        (out.Subnets ?? []).map((s) => ({
          id: s.SubnetId ?? '',
          vpcId: s.VpcId ?? '',
          tags: tagsFromList(s.Tags),
        })),
      ),
    describeRouteTables: (filters) =>
      pages(
        'DescribeRouteTables',
        paginateDescribeRouteTables({ client }, { Filters: sdkFilters(filters) }),
        (out) =>
          (out.RouteTables ?? []).map((t) => ({
            id: t.RouteTableId ?? '',
            vpcId: t.VpcId ?? '',
            tags: tagsFromList(t.Tags),
            main: (t.Associations ?? []).some((a) => a.Main),
            associationIds: (t.Associations ?? [])
              .filter((a) => !a.Main && a.RouteTableAssociationId)
              .map((a) => a.RouteTableAssociationId ?? ''),
          })),
      ),
    describeInternetGateways: (filters) =>
      pages(
        'DescribeInternetGateways',
        paginateDescribeInternetGateways({ client }, { Filters: sdkFilters(filters) }),
        (out) =>
          (out.InternetGateways ?? []).map((g) => ({
            id: g.InternetGatewayId ?? '',
            tags: tagsFromList(g.Tags),
            attachedVpcIds: (g.Attachments ?? []).flatMap((a) => (a.VpcId ? [a.VpcId] : [])),
          })),
      ),
    describeSecurityGroups: (filters) =>
      pages(
        'DescribeSecurityGroups',
        paginateDescribeSecurityGroups({ client }, { Filters: sdkFilters(filters) }),
        (out) =>
          (out.SecurityGroups ?? []).map((g) => ({
            id: g.GroupId ?? '',
            name: g.GroupName ?? '',
            vpcId: g.VpcId ?? '',
            tags: tagsFromList(g.Tags),
          })),
      ),
    describeNetworkInterfaces: (filters) =>
      pages(
        'DescribeNetworkInterfaces',
        paginateDescribeNetworkInterfaces({ client }, { Filters: sdkFilters(filters) }),
        (out) =>
          (out.NetworkInterfaces ?? []).map((n) => ({
            id: n.NetworkInterfaceId ?? '',
            vpcId: n.VpcId ?? '',
            status: n.Status ?? '',
            ...(n.Attachment?.AttachmentId ? { attachmentId: n.Attachment.AttachmentId } : {}),
            ...(n.Attachment?.InstanceId ? { instanceId: n.Attachment.InstanceId } : {}),
            tags: tagsFromList(n.TagSet),
          })),
      ),
    describeLaunchTemplates: (filters) =>
      pages(
        'DescribeLaunchTemplates',
        paginateDescribeLaunchTemplates({ client }, { Filters: sdkFilters(filters) }),
        (out) =>
          (out.LaunchTemplates ?? []).map((t) => ({
            id: t.LaunchTemplateId ?? '',
            tags: tagsFromList(t.Tags),
          })),
      ),
    async deleteVpc(id) {
      await call('DeleteVpc', () => client.send(new DeleteVpcCommand({ VpcId: id })));
    },
    async deleteSubnet(id) {
      await call('DeleteSubnet', () => client.send(new DeleteSubnetCommand({ SubnetId: id })));
    },
    async disassociateRouteTable(associationId) {
      await call('DisassociateRouteTable', () =>
        client.send(new DisassociateRouteTableCommand({ AssociationId: associationId })),
      );
    },
    async deleteRouteTable(id) {
      await call('DeleteRouteTable', () => client.send(new DeleteRouteTableCommand({ RouteTableId: id })));
    },
    async detachInternetGateway(id, vpcId) {
      await call('DetachInternetGateway', () =>
        client.send(new DetachInternetGatewayCommand({ InternetGatewayId: id, VpcId: vpcId })),
      );
    },
    async deleteInternetGateway(id) {
      await call('DeleteInternetGateway', () =>
        client.send(new DeleteInternetGatewayCommand({ InternetGatewayId: id })),
      );
    },
    async deleteSecurityGroup(id) {
      await call('DeleteSecurityGroup', () => client.send(new DeleteSecurityGroupCommand({ GroupId: id })));
    },
    async revokeSecurityGroupReferences(id) {
      const out = await call('DescribeSecurityGroups', () =>
        client.send(new DescribeSecurityGroupsCommand({ GroupIds: [id] })),
      );
      const group = out.SecurityGroups?.[0];
      const byGroup = (perms: IpPermission[] | undefined) =>
        (perms ?? [])
          .filter((p) => (p.UserIdGroupPairs ?? []).length > 0)
          .map((p) => ({
            IpProtocol: p.IpProtocol,
            FromPort: p.FromPort,
            ToPort: p.ToPort,
            UserIdGroupPairs: p.UserIdGroupPairs,
          }));
      const ingress = byGroup(group?.IpPermissions);
      const egress = byGroup(group?.IpPermissionsEgress);
      if (ingress.length) {
        await call('RevokeSecurityGroupIngress', () =>
          client.send(new RevokeSecurityGroupIngressCommand({ GroupId: id, IpPermissions: ingress })),
        );
      }
      if (egress.length) {
        await call('RevokeSecurityGroupEgress', () =>
          client.send(new RevokeSecurityGroupEgressCommand({ GroupId: id, IpPermissions: egress })),
        );
      }
      return ingress.length + egress.length;
    },
    async detachNetworkInterface(attachmentId) {
      await call('DetachNetworkInterface', () =>
        client.send(new DetachNetworkInterfaceCommand({ AttachmentId: attachmentId, Force: true })),
      );
    },
    async deleteNetworkInterface(id) {
      await call('DeleteNetworkInterface', () =>
        client.send(new DeleteNetworkInterfaceCommand({ NetworkInterfaceId: id })),
      );
    },
    async deleteLaunchTemplate(id) {
      await call('DeleteLaunchTemplate', () =>
        client.send(new DeleteLaunchTemplateCommand({ LaunchTemplateId: id })),
      );
    },
  };
}
