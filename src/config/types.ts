import type { ClusterSpecDocument } from './schema.js';

/** A subnet tugboat creates in a new VPC. */
export interface NewSubnet {
  readonly zone: string;
  readonly cidr: string;
}

/** An existing subnet tugboat uses as given. */
export interface ExistingSubnet {
  readonly zone: string;
  readonly id: string;
}

/** The cluster's own address ranges, the same whatever VPC the cluster runs in. */
export interface ClusterRanges {
  /** Range of pod addresses (normalised CIDR); nodes get blocks of `nodePodCidrPrefix` from it. */
  readonly podCidr: string;
  /** Prefix of each node's block of `podCidr`. */
  readonly nodePodCidrPrefix: number;
  /** Range of Service ClusterIPs (normalised CIDR). */
  readonly serviceCidr: string;
}

/** tugboat creates the VPC, one public subnet per availability zone, gateway and routes. */
export interface NewVpcNetwork extends ClusterRanges {
  readonly kind: 'new';
  readonly vpcCidr: string;
  /** One per availability zone, in the order of `availabilityZones`. */
  readonly subnets: readonly NewSubnet[];
}

/** tugboat uses a VPC and subnets that already exist. */
export interface ExistingVpcNetwork extends ClusterRanges {
  readonly kind: 'existing';
  readonly vpcId: string;
  /** One per availability zone, in the order of `availabilityZones`. */
  readonly subnets: readonly ExistingSubnet[];
}

export type NetworkSpec = NewVpcNetwork | ExistingVpcNetwork;

type DocumentWorkerGroup = ClusterSpecDocument['workerGroups'][number];

/** A worker group with its zones resolved (all the cluster's zones when the file gave none). */
export type WorkerGroupSpec = Readonly<Omit<DocumentWorkerGroup, 'zones'> & { zones: readonly string[] }>;

/** The API settings with `allowedCidrs` resolved (ssh.allowedCidrs when the file gave none). */
export type ApiSpec = Readonly<
  Omit<ClusterSpecDocument['api'], 'allowedCidrs'> & { allowedCidrs: readonly string[] }
>;

/**
 * A validated cluster spec with every default applied and derived values filled in. Everything
 * downstream (template, stack, bootstrap) takes this type; produce it with `parseClusterSpec` or
 * `loadClusterSpec`.
 */
export type ClusterSpec = Readonly<
  Omit<ClusterSpecDocument, 'network' | 'workerGroups' | 'api' | 'master' | 'store'> & {
    network: NetworkSpec;
    /** The store backend: as given, else `etcd` with more than one master, else `embedded`. */
    store: 'embedded' | 'etcd';
    workerGroups: readonly WorkerGroupSpec[];
    api: ApiSpec;
    master: MasterSpec;
  }
>;

/** The master settings with `schedulable` resolved (true exactly when there are no worker groups, unless set). */
export type MasterSpec = Readonly<
  Omit<ClusterSpecDocument['master'], 'schedulable'> & { schedulable: boolean }
>;
