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
  /** e.g. `t3.small`. */
  readonly instanceType?: string;
  readonly imageId?: string;
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

/** An EC2 key pair. */
export interface Ec2KeyPair {
  readonly name: string;
  readonly id: string;
  readonly tags: Tags;
}

/**
 * The EC2 calls tugboat makes to create, inspect and scale a cluster (the sweep's calls are
 * `Ec2SweepApi`, ec2-sweep.ts). Describe calls read every page (bounded).
 */
export interface Ec2Api {
  describeInstances(filters: readonly Filter[]): Promise<Ec2Instance[]>;
  describeAddresses(filters: readonly Filter[]): Promise<Ec2Address[]>;
  /** Associates an address; returns the association id. */
  associateAddress(input: {
    readonly allocationId: string;
    readonly instanceId: string;
    readonly allowReassociation: boolean;
  }): Promise<string>;
  disassociateAddress(associationId: string): Promise<void>;
  createTags(resourceIds: readonly string[], tags: Tags): Promise<void>;
  importKeyPair(name: string, publicKey: string, tags: Tags): Promise<string>;
  describeKeyPairs(filters: readonly Filter[]): Promise<Ec2KeyPair[]>;
  /** What one version of a launch template launches (`$Latest`, `$Default` or a number). */
  describeLaunchTemplateVersion(id: string, version: string): Promise<LaunchTemplateVersionData | undefined>;
  /** The EBS volumes attached to these instances (device and size). */
  describeAttachedVolumes(instanceIds: readonly string[]): Promise<Ec2AttachedVolume[]>;
}

/** An EBS volume as attached to an instance. */
export interface Ec2AttachedVolume {
  readonly instanceId: string;
  /** e.g. `/dev/xvda`. */
  readonly device: string;
  /** GiB. */
  readonly size: number;
}

/** The parts of a launch template version that `update` replaces instances for. */
export interface LaunchTemplateVersionData {
  readonly version: string;
  readonly instanceType?: string;
  readonly imageId?: string;
  /** The EBS volume the template gives each instance (the first mapping with a size). */
  readonly volume?: { readonly device: string; readonly size: number };
}
