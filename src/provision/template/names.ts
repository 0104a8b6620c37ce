import { pascalCase } from '../../config/validate.js';

/**
 * Stable logical ids, parameter names and output keys. Other modules (stack lifecycle, inventory,
 * sweep) read stacks through these constants, never through string literals.
 */

/** Template parameter names. */
export const PARAMETERS = {
  /** Name of the EC2 key pair installed on every instance. */
  keyName: 'KeyName',
  /** x86_64 AMI (an SSM parameter path resolving to an AMI id). */
  amiX86: 'AmiX86',
  /** arm64 AMI for Graviton instance types (SSM parameter path). */
  amiArm64: 'AmiArm64',
  /** The AMI given as master.ami (used for every instance). */
  ami: 'Ami',
  /** Bucket holding the host bundle (the account's tugboat bucket); empty: instances do not boot by themselves. */
  bundleBucket: 'BundleBucket',
  /** SHA-256 (hex) of the host bundle: the key's hash part and what a booting instance verifies. */
  bundleSha256: 'BundleSha256',
  /** File name of the host bundle (`tugboat-host-<hash>.mjs`). */
  bundleFile: 'BundleFile',
  /** npm registry the pinned Node.js runtime is fetched from at boot (a mirror for closed networks). */
  nodeRegistry: 'NodeRuntimeRegistry',
} as const;

/**
 * Parameter holding the `index`-th (0-based) availability zone: `AvailabilityZone1`, ... Zones are
 * parameters (defaulting to the spec's zones) rather than literals so the template stays portable.
 */
export const zoneParameter = (index: number) => `AvailabilityZone${index + 1}`;

/** Output keys that exist in every template (per-group keys come from {@link workerAsgOutputKey}). */
export const OUTPUTS = {
  clusterName: 'ClusterName',
  vpcId: 'VpcId',
  subnetIds: 'SubnetIds',
  masterAsgName: 'MasterAutoScalingGroupName',
  masterEipAllocationId: 'MasterEipAllocationId',
  masterEipAddress: 'MasterEipAddress',
  poolEipAllocationIds: 'PoolEipAllocationIds',
  apiEndpoint: 'ApiEndpoint',
  /** SSH user and address, group labels and EIP groups as JSON (see template/settings.ts). */
  bootstrapSettings: 'BootstrapSettings',
  /** Id of the KMS key the cluster's SSM SecureStrings are encrypted under. */
  secretsKeyId: 'SecretsKeyId',
  /** Alias of that key (`alias/tugboat-<cluster>`). */
  secretsKeyAlias: 'SecretsKeyAlias',
  /** SSM path of the cluster's parameters (`/tugboat/<cluster>/`). */
  secretsPath: 'SecretsPath',
} as const;

/** Public SSM parameters for the latest Amazon Linux 2023 AMIs. */
export const AL2023_SSM_PARAMETERS = {
  x86: '/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64',
  arm64: '/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64',
} as const;

/** Capabilities `CreateStack` needs for these templates (IAM roles without explicit names). */
export const REQUIRED_CAPABILITIES = ['CAPABILITY_IAM'] as const;

/** Tag keys tugboat puts on everything it creates. */
export const TAG_KEYS = {
  cluster: 'tugboat:cluster',
  role: 'tugboat:role',
  group: 'tugboat:group',
  pool: 'tugboat:pool',
  /** `true` on the auto-scaling group of a group whose spec says `eip: true`. */
  eip: 'tugboat:eip',
} as const;

/** Values of the `tugboat:pool` tag on Elastic IPs. */
export const EIP_POOLS = { master: 'master', workers: 'workers' } as const;

export const API_PORT = 6443;
export const AGENT_PORT = 10250;
/** UDP port of the pod network's VXLAN between nodes (the agent's `podNetworkNames.port`). */
export const VXLAN_PORT = 8472;
/** etcd's client port (the API servers on the masters) and peer port (members among themselves). */
export const ETCD_PORTS = { client: 2379, peer: 2380 } as const;
/** The Service node port range (Kubernetes' default). */
export const NODE_PORT_RANGE = { from: 30000, to: 32767 } as const;

/** Logical ids of fixed resources. */
export const IDS = {
  vpc: 'Vpc',
  internetGateway: 'InternetGateway',
  gatewayAttachment: 'VpcGatewayAttachment',
  routeTable: 'PublicRouteTable',
  defaultRoute: 'PublicDefaultRoute',
  nodeSecurityGroup: 'NodeSecurityGroup',
  masterSecurityGroup: 'MasterSecurityGroup',
  workerSecurityGroup: 'WorkerSecurityGroup',
  masterRole: 'MasterRole',
  masterInstanceProfile: 'MasterInstanceProfile',
  workerRole: 'WorkerRole',
  workerInstanceProfile: 'WorkerInstanceProfile',
  masterLaunchTemplate: 'MasterLaunchTemplate',
  masterAsg: 'MasterAutoScalingGroup',
  masterEip: 'MasterEip',
  apiDnsRecord: 'ApiDnsRecord',
  apiDnsOwnerRecord: 'ApiDnsOwnerRecord',
  secretsKey: 'SecretsKey',
  secretsKeyAlias: 'SecretsKeyAlias',
} as const;

/**
 * The TXT value that marks a DNS name as owned by a cluster (Route 53 records carry no tags): the
 * template writes it next to the API record, and delete's sweep removes only names that carry it.
 */
export function ownershipTxt(cluster: string): string {
  return `"${TAG_KEYS.cluster}=${cluster}"`;
}

/** `us-east-1a` → `SubnetUsEast1a` */
export const subnetId = (zone: string) => `Subnet${pascalCase(zone)}`;
/** `us-east-1a` → `SubnetRouteTableAssociationUsEast1a` */
export const subnetAssociationId = (zone: string) => `SubnetRouteTableAssociation${pascalCase(zone)}`;
/** `gpu-workers` → `WorkerGroupGpuWorkersLaunchTemplate` */
export const workerLaunchTemplateId = (group: string) => `WorkerGroup${pascalCase(group)}LaunchTemplate`;
/** `gpu-workers` → `WorkerGroupGpuWorkersAutoScalingGroup` */
export const workerAsgId = (group: string) => `WorkerGroup${pascalCase(group)}AutoScalingGroup`;
/** Output key holding the auto-scaling group name of a worker group. */
export const workerAsgOutputKey = (group: string) => `WorkerGroup${pascalCase(group)}AutoScalingGroupName`;
/**
 * 1-based: the first master keeps `MasterAutoScalingGroup`, so one master renders as it always
 * has; the others are `MasterAutoScalingGroup2`, `MasterAutoScalingGroup3`, ...
 */
export const masterAsgId = (n: number) => (n === 1 ? IDS.masterAsg : `${IDS.masterAsg}${n}`);
/** 1-based: `MasterEip`, `MasterEip2`, ... (one address per master). */
export const masterEipId = (n: number) => (n === 1 ? IDS.masterEip : `${IDS.masterEip}${n}`);
/** Output key of a master's auto-scaling group name: `MasterAutoScalingGroupName`, `...Name2`, ... */
export const masterAsgOutputKey = (n: number) =>
  n === 1 ? OUTPUTS.masterAsgName : `${OUTPUTS.masterAsgName}${n}`;
/** 1-based: `PoolEip1`, `PoolEip2`, ... */
export const poolEipId = (n: number) => `PoolEip${n}`;

/**
 * True for Graviton (arm64) instance types: the family has a `g` after its generation digit
 * (`t4g`, `m7g`, `c7gn`, `r8gd`), unlike GPU families such as `g5` or `p5`.
 */
export function isArmInstanceType(instanceType: string): boolean {
  const m = /^[a-z]+\d+([a-z]*)$/.exec(instanceType.split('.')[0] ?? '');
  return m !== null && m[1]!.includes('g');
}
