import type { Ec2Api, Ec2Resource } from './ec2.js';
import type { Filter } from './types.js';

/** A route table with its subnet associations. */
export interface Ec2RouteTable extends Ec2Resource {
  readonly main: boolean;
  /** Non-main association ids (these must go before the table can be deleted). */
  readonly associationIds: readonly string[];
}

/** An internet gateway with the VPCs it is attached to. */
export interface Ec2InternetGateway extends Ec2Resource {
  readonly attachedVpcIds: readonly string[];
}

/** A security group (the VPC's `default` group cannot be deleted and goes with the VPC). */
export interface Ec2SecurityGroup extends Ec2Resource {
  readonly name: string;
}

/** A network interface. */
export interface Ec2NetworkInterface extends Ec2Resource {
  readonly status: string;
  readonly attachmentId?: string;
  readonly instanceId?: string;
}

/**
 * The EC2 calls the sweep (provision/sweep.ts, provision/leftovers.ts) makes: find every tagged
 * resource of a cluster and delete it. Kept apart from `Ec2Api` so the rest of the code sees only
 * the calls it needs. Describe calls read every page (bounded).
 */
export interface Ec2SweepApi
  extends Pick<
    Ec2Api,
    'describeInstances' | 'describeAddresses' | 'disassociateAddress' | 'describeKeyPairs'
  > {
  terminateInstances(ids: readonly string[]): Promise<void>;
  releaseAddress(allocationId: string): Promise<void>;
  deleteKeyPair(name: string): Promise<void>;
  describeVpcs(filters: readonly Filter[]): Promise<Ec2Resource[]>;
  describeSubnets(filters: readonly Filter[]): Promise<Ec2Resource[]>;
  describeRouteTables(filters: readonly Filter[]): Promise<Ec2RouteTable[]>;
  describeInternetGateways(filters: readonly Filter[]): Promise<Ec2InternetGateway[]>;
  describeSecurityGroups(filters: readonly Filter[]): Promise<Ec2SecurityGroup[]>;
  describeNetworkInterfaces(filters: readonly Filter[]): Promise<Ec2NetworkInterface[]>;
  describeLaunchTemplates(filters: readonly Filter[]): Promise<Ec2Resource[]>;
  deleteVpc(id: string): Promise<void>;
  deleteSubnet(id: string): Promise<void>;
  disassociateRouteTable(associationId: string): Promise<void>;
  deleteRouteTable(id: string): Promise<void>;
  detachInternetGateway(id: string, vpcId: string): Promise<void>;
  deleteInternetGateway(id: string): Promise<void>;
  deleteSecurityGroup(id: string): Promise<void>;
  /**
   * Revokes the group's ingress and egress rules that name other security groups (mutual
   * references block deleting either group). Returns how many rules went.
   */
  revokeSecurityGroupReferences(id: string): Promise<number>;
  detachNetworkInterface(attachmentId: string): Promise<void>;
  deleteNetworkInterface(id: string): Promise<void>;
  deleteLaunchTemplate(id: string): Promise<void>;
}
