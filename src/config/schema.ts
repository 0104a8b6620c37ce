import { z } from 'zod';
import { parseCronFields } from '../kube/cron-schedule.js';
import { CLUSTER_NAME_MAX, DNS_NAME_PATTERN } from '../naming.js';
import { ETCD_SOURCE_NAMES, type EtcdSourceName, etcdMirrorProblem } from './etcd.js';

/**
 * The cluster spec schema: one zod schema gives the TypeScript type, the defaults and the JSON
 * Schema (`tugboat schema`). Field-level rules live here; rules that relate several fields
 * (zones in the region, desired within min..max, CIDRs inside the VPC) live in validate.ts.
 */

export const API_VERSION = 'tugboat.dev/v1alpha1';
export const KIND = 'Cluster';

const CIDR_SHAPE_RE = /^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/;

const dnsName = (max: number) =>
  z.string().min(1).max(max).regex(DNS_NAME_PATTERN, {
    error: 'must be lowercase letters, digits and dashes, starting with a letter',
  });

const cidr = z
  .string()
  .regex(CIDR_SHAPE_RE, { error: 'must be an IPv4 CIDR block like 10.0.0.0/16 or 203.0.113.7/32' })
  .describe('IPv4 CIDR block, e.g. 203.0.113.0/24');

const instanceType = z
  .string()
  .regex(/^[a-z][a-z0-9-]*\.[a-z0-9]+$/, { error: 'must be an EC2 instance type like t3.medium' })
  .describe('EC2 instance type; Graviton types (t4g, m7g, ...) get the arm64 AMI');

const volumeSize = z
  .number()
  .int()
  .min(8)
  .max(16384)
  .default(20)
  .describe('root volume size in GiB (encrypted gp3)');

const tagMap = z
  .record(z.string().min(1).max(128), z.string().max(256))
  .default({})
  .describe('extra tags for every taggable resource (keys must not start with aws: or tugboat:)');

const subnetSchema = z
  .strictObject({
    zone: z.string().describe('availability zone of the subnet, e.g. us-east-1a'),
    cidr: cidr.optional().describe('CIDR of a subnet tugboat creates (new VPC only; derived when absent)'),
    id: z
      .string()
      .regex(/^subnet-[0-9a-z]+$/, { error: 'must be a subnet id like subnet-0123456789abcdef0' })
      .optional()
      .describe('id of an existing subnet (existing VPC only)'),
  })
  .describe('one subnet per availability zone');

const networkSchema = z
  .strictObject({
    vpcCidr: cidr
      .optional()
      .describe('CIDR of the VPC tugboat creates, /16 to /24 (default 10.0.0.0/16; not with vpcId)'),
    vpcId: z
      .string()
      .regex(/^vpc-[0-9a-z]+$/, { error: 'must be a VPC id like vpc-0123456789abcdef0' })
      .optional()
      .describe('use this existing VPC instead of creating one (then subnets must give ids)'),
    subnets: z.array(subnetSchema).optional(),
    podCidr: cidr
      .default('10.244.0.0/16')
      .describe(
        'range of pod addresses; each node gets one block of it (must not overlap the VPC or serviceCidr)',
      ),
    nodePodCidrPrefix: z
      .number()
      .int()
      .min(16)
      .max(28)
      .default(24)
      .describe('prefix of the block each node gets from podCidr (/24: 254 pod addresses per node)'),
    serviceCidr: cidr
      .default('10.96.0.0/12')
      .describe('range of Service ClusterIPs, /12 to /27 (must not overlap the VPC or podCidr)'),
  })
  .prefault({})
  .describe('a new VPC (default) or an existing VPC and its subnets');

const sshSchema = z
  .strictObject({
    user: z
      .string()
      .regex(/^[a-z_][a-z0-9_-]*$/, { error: 'must be a unix user name like ec2-user' })
      .default('ec2-user')
      .describe('login user on the instances'),
    publicKeyFile: z
      .string()
      .min(1)
      .optional()
      .describe('public key to install; tugboat generates a key under ~/.tugboat/<cluster>/ when absent'),
    allowedCidrs: z
      .array(cidr)
      .min(1, { error: 'give at least one CIDR that may reach port 22, e.g. your address with /32' })
      .describe('who may reach SSH (port 22); 0.0.0.0/0 only if you really mean it'),
    address: z
      .enum(['public', 'private'])
      .default('public')
      .describe('which instance address bootstrap connects to'),
  })
  .describe('how tugboat reaches the instances');

const dnsSchema = z
  .strictObject({
    hostedZoneId: z
      .string()
      .regex(/^(\/hostedzone\/)?[A-Z0-9]{1,32}$/, {
        error: 'must be a Route 53 hosted zone id like Z0123456789ABC',
      })
      .describe('Route 53 hosted zone that holds recordName'),
    recordName: z
      .string()
      .max(253)
      .regex(/^([a-z0-9]([-a-z0-9]*[a-z0-9])?\.)+[a-z]{2,63}\.?$/, {
        error: 'must be a lowercase DNS name like api.example.com',
      })
      .describe('DNS name of the API, pointing at the master Elastic IP'),
    ttl: z.number().int().min(0).max(86400).default(60).describe('record TTL in seconds'),
  })
  .describe('optional Route 53 A record for the API');

const apiSchema = z
  .strictObject({
    allowedCidrs: z
      .array(cidr)
      .min(1)
      .optional()
      .describe('who may reach the API (port 6443); defaults to ssh.allowedCidrs'),
    dns: dnsSchema.optional(),
  })
  .prefault({})
  .describe('the Kubernetes-compatible API server');

const masterSchema = z
  .strictObject({
    instanceType: instanceType
      .default('t3.medium')
      .describe('EC2 instance type; Graviton types (t4g, m7g, ...) get the arm64 AMI'),
    volumeSize,
    ami: z
      .string()
      .regex(/^ami-[0-9a-f]{8,17}$/, { error: 'must be an AMI id like ami-0123456789abcdef0' })
      .optional()
      .describe('AMI for all instances; default: latest Amazon Linux 2023 from the public SSM parameter'),
    count: z
      .number()
      .int()
      .default(1)
      .describe(
        'masters: 1, 3 or 5 (an odd count: etcd needs a majority), spread round robin over availabilityZones; more than 1 runs the store on etcd',
      ),
    eip: z
      .boolean()
      .default(true)
      .describe('give each master its own Elastic IP so the API address survives replacement'),
    schedulable: z
      .boolean()
      .optional()
      .describe(
        'run the node agent on the master too, so pods are scheduled there; default: true exactly when there are no worker groups',
      ),
  })
  .prefault({})
  .describe('the control-plane instances (each an auto-scaling group of exactly one)');

const backupSchema = z
  .strictObject({
    schedule: z
      .string()
      .superRefine((schedule, ctx) => {
        const parsed = parseCronFields(schedule);
        if (typeof parsed === 'string')
          ctx.addIssue({
            code: 'custom',
            message: `must be a cron schedule like "0 3 * * *" (UTC): ${parsed}`,
          });
      })
      .describe('when to take a backup: five-field cron in UTC, or @hourly / @daily / @weekly'),
    retain: z
      .number()
      .int()
      .min(1)
      .max(1000)
      .default(7)
      .describe('backups kept; older ones are deleted after each scheduled backup'),
  })
  .describe('scheduled backups of the cluster state to its S3 prefix');

const labelKeyRe = /^([a-z0-9]([-a-z0-9.]*[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const labelValueRe = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/;

const taintSchema = z.strictObject({
  key: z
    .string()
    .max(316)
    .regex(labelKeyRe, { error: 'must be a label-style key like dedicated or example.com/gpu' }),
  value: z.string().max(63).regex(labelValueRe, { error: 'must be a label-style value' }).optional(),
  effect: z.enum(['NoSchedule', 'PreferNoSchedule', 'NoExecute']),
});

const workerGroupSchema = z
  .strictObject({
    name: dnsName(40).describe('group name, DNS-safe, unique in the cluster'),
    instanceType: instanceType
      .default('t3.medium')
      .describe('EC2 instance type; Graviton types (t4g, m7g, ...) get the arm64 AMI'),
    volumeSize,
    min: z.number().int().min(0).max(1000).default(1).describe('minimum instances'),
    max: z.number().int().min(0).max(1000).default(3).describe('maximum instances'),
    desired: z.number().int().min(0).max(1000).default(1).describe('desired instances, within min..max'),
    zones: z
      .array(z.string())
      .min(1)
      .optional()
      .describe('availability zones of this group; default: all of the cluster'),
    labels: z
      .record(
        z.string().max(316).regex(labelKeyRe, { error: 'must be a label key like tier or example.com/gpu' }),
        z.string().max(63).regex(labelValueRe, { error: 'must be a label value (letters, digits, - _ .)' }),
      )
      .default({})
      .describe('node labels'),
    taints: z.array(taintSchema).default([]).describe('node taints'),
    eip: z.boolean().default(false).describe('each instance takes an Elastic IP from the cluster pool'),
  })
  .describe('an auto-scaling group of worker nodes');

/** The cluster spec as written by the user (YAML or JSON), with field defaults. */
export const clusterSpecSchema = z
  .strictObject({
    apiVersion: z.literal(API_VERSION, { error: `must be ${API_VERSION}` }),
    kind: z.literal(KIND, { error: `must be ${KIND}` }),
    name: dnsName(CLUSTER_NAME_MAX).describe(
      `cluster name: DNS-safe, at most ${CLUSTER_NAME_MAX} characters; the stack is tugboat-<name>`,
    ),
    region: z.string().min(1).describe('AWS region, e.g. us-east-1'),
    availabilityZones: z
      .array(z.string())
      .min(1)
      .max(6)
      .describe('zones of the cluster, e.g. [us-east-1a, us-east-1b]; one subnet each'),
    network: networkSchema,
    ssh: sshSchema,
    api: apiSchema,
    master: masterSchema,
    workerGroups: z
      .array(workerGroupSchema)
      .max(50, { error: 'at most 50 worker groups: merge groups that share an instance type' })
      .default([])
      .describe('auto-scaling groups of workers; none gives a single-node cluster (the master runs pods)'),
    eipPool: z
      .strictObject({
        size: z
          .number()
          .int()
          .min(0)
          .max(100)
          .default(0)
          .describe('Elastic IPs for worker groups with eip: true'),
      })
      .prefault({})
      .describe('a pool of Elastic IPs tagged with the cluster'),
    store: z
      .enum(['embedded', 'etcd'])
      .optional()
      .describe('control-plane storage backend; default embedded with one master, etcd with more'),
    etcd: z
      .strictObject({
        source: z
          .enum(ETCD_SOURCE_NAMES as [EtcdSourceName, ...EtcdSourceName[]])
          .default('auto')
          .describe(
            "where the masters' etcd comes from: auto (the distribution's package when the host has one, else the pinned release), release (always the pinned release, staged in the cluster's S3 prefix), package (the distribution's /usr/bin/etcd; a host without it fails)",
          ),
        mirror: z
          .string()
          .superRefine((text, ctx) => {
            const problem = etcdMirrorProblem(text);
            if (problem) ctx.addIssue({ code: 'custom', message: problem });
          })
          .optional()
          .describe(
            "base URL of a mirror of etcd's release downloads (<mirror>/v<version>/etcd-v<version>-linux-<arch>.tar.gz); TUGBOAT_ETCD_MIRROR overrides it. Default: etcd's GitHub releases",
          ),
      })
      .prefault({})
      .describe('etcd on the masters (store: etcd)'),
    backup: backupSchema.optional(),
    tags: tagMap,
  })
  .describe('a tugboat cluster');

/** The spec as written (before defaults); what a user may put in the file. */
export type ClusterSpecInput = z.input<typeof clusterSpecSchema>;
/** The spec after field defaults, before derived values (subnets, zones) are filled in. */
export type ClusterSpecDocument = z.output<typeof clusterSpecSchema>;
