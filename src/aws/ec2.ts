import type { Filter, Tags } from './types.js';

/** An EC2 instance as tugboat sees it. */
export interface Ec2Instance {
  readonly id: string;
  /** `pending`, `running`, `shutting-down`, `terminated`, `stopping`, `stopped`. */
  readonly state: string;
  readonly privateIp?: string;
  readonly publicIp?: string;
  readonly zone?: string;
  readonly vpcId?: string;
  readonly tags: Tags;
}

/** An Elastic IP address. */
export interface Ec2Address {
  readonly allocationId: string;
  readonly publicIp: string;
  readonly associationId?: string;
  readonly instanceId?: string;
  readonly networkInterfaceId?: string;
  readonly tags: Tags;
}

/** A VPC-scoped resource found by a describe call (subnet, security group, ...). */
export interface Ec2Resource {
  readonly id: string;
  readonly vpcId?: string;
  readonly tags: Tags;
}

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

/** An EC2 key pair. */
export interface Ec2KeyPair {
  readonly name: string;
  readonly id: string;
  readonly tags: Tags;
}

/** The EC2 calls tugboat makes. Describe calls read every page (bounded). */
export interface Ec2Api {
  describeInstances(filters: readonly Filter[]): Promise<Ec2Instance[]>;
  terminateInstances(ids: readonly string[]): Promise<void>;
  describeAddresses(filters: readonly Filter[]): Promise<Ec2Address[]>;
  /** Associates an address; returns the association id. */
  associateAddress(input: {
    readonly allocationId: string;
    readonly instanceId: string;
    readonly allowReassociation: boolean;
  }): Promise<string>;
  disassociateAddress(associationId: string): Promise<void>;
  releaseAddress(allocationId: string): Promise<void>;
  createTags(resourceIds: readonly string[], tags: Tags): Promise<void>;
  importKeyPair(name: string, publicKey: string, tags: Tags): Promise<string>;
  describeKeyPairs(filters: readonly Filter[]): Promise<Ec2KeyPair[]>;
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
