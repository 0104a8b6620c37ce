import type { ClusterSpec } from '../../config/types.js';
import { IDS, subnetAssociationId, subnetId, zoneParameter } from './names.js';
import { buildTags } from './tags.js';
import { type CfnResource, ref } from './types.js';

/** What the other builders need to know about the network. */
export interface NetworkRefs {
  /** The VPC id (a `Ref` or a literal for an existing VPC). */
  readonly vpcId: unknown;
  /** Subnet id per availability zone (`Ref`s or literals). */
  readonly subnetByZone: ReadonlyMap<string, unknown>;
  /** Logical ids instances must wait for (the default route), empty for an existing VPC. */
  readonly routeDependsOn: readonly string[];
  /** Logical id of the gateway attachment, which VPC Elastic IPs must wait for. */
  readonly gatewayAttachment?: string;
}

/**
 * The VPC, one public subnet per availability zone, the internet gateway, route table and default
 * route; nothing for an existing VPC (its ids are used as given).
 */
export function buildNetwork(spec: ClusterSpec): {
  resources: Record<string, CfnResource>;
  refs: NetworkRefs;
} {
  const net = spec.network;
  if (net.kind === 'existing') {
    return {
      resources: {},
      refs: {
        vpcId: net.vpcId,
        subnetByZone: new Map(net.subnets.map((s) => [s.zone, s.id])),
        routeDependsOn: [],
      },
    };
  }
  const resources: Record<string, CfnResource> = {
    [IDS.vpc]: {
      Type: 'AWS::EC2::VPC',
      Properties: {
        CidrBlock: net.vpcCidr,
        EnableDnsSupport: true,
        EnableDnsHostnames: true,
        Tags: buildTags(spec, { role: 'cluster', name: 'vpc' }),
      },
    },
    // Tags also keep the gateway alive in moto, which loses resources without Properties on update.
    [IDS.internetGateway]: {
      Type: 'AWS::EC2::InternetGateway',
      Properties: { Tags: buildTags(spec, { role: 'cluster', name: 'igw' }) },
    },
    [IDS.gatewayAttachment]: {
      Type: 'AWS::EC2::VPCGatewayAttachment',
      Properties: { VpcId: ref(IDS.vpc), InternetGatewayId: ref(IDS.internetGateway) },
    },
    [IDS.routeTable]: {
      Type: 'AWS::EC2::RouteTable',
      Properties: { VpcId: ref(IDS.vpc), Tags: buildTags(spec, { role: 'cluster', name: 'public' }) },
    },
    [IDS.defaultRoute]: {
      Type: 'AWS::EC2::Route',
      DependsOn: IDS.gatewayAttachment,
      Properties: {
        RouteTableId: ref(IDS.routeTable),
        DestinationCidrBlock: '0.0.0.0/0',
        GatewayId: ref(IDS.internetGateway),
      },
    },
  };
  for (const [index, subnet] of net.subnets.entries()) {
    resources[subnetId(subnet.zone)] = {
      Type: 'AWS::EC2::Subnet',
      Properties: {
        VpcId: ref(IDS.vpc),
        AvailabilityZone: ref(zoneParameter(index)),
        CidrBlock: subnet.cidr,
        MapPublicIpOnLaunch: true,
        Tags: buildTags(spec, { role: 'cluster', name: `public-${subnet.zone}` }),
      },
    };
    resources[subnetAssociationId(subnet.zone)] = {
      Type: 'AWS::EC2::SubnetRouteTableAssociation',
      Properties: { SubnetId: ref(subnetId(subnet.zone)), RouteTableId: ref(IDS.routeTable) },
    };
  }
  return {
    resources,
    refs: {
      vpcId: ref(IDS.vpc),
      subnetByZone: new Map(net.subnets.map((s) => [s.zone, ref(subnetId(s.zone))])),
      routeDependsOn: [IDS.defaultRoute],
      gatewayAttachment: IDS.gatewayAttachment,
    },
  };
}
