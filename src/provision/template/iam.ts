import type { ClusterSpec } from '../../config/types.js';
import { IDS, TAG_KEYS } from './names.js';
import { parameterArns } from './secrets.js';
import { clusterBucketName, clusterS3Paths } from './storage-names.js';
import { buildTags } from './tags.js';
import { type CfnResource, ref } from './types.js';

// biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation Fn::Sub placeholders, not JS ones.
const EC2_ARN = 'arn:${AWS::Partition}:ec2:${AWS::Region}:${AWS::AccountId}';

// biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation Fn::Sub placeholders, not JS ones.
const BUCKET_ARN = `arn:\${AWS::Partition}:s3:::${clusterBucketName('${AWS::AccountId}', '${AWS::Region}')}`;

const READ_PARAMETERS = ['ssm:GetParameter', 'ssm:GetParameters', 'ssm:GetParametersByPath'];
/** PutParameter with tags also needs AddTagsToResource. No Overwrite is needed: secrets are created once. */
const CREATE_PARAMETERS = ['ssm:PutParameter', 'ssm:AddTagsToResource'];

/** `arn:...:s3:::<bucket>/<prefix>*` for each prefix (prefixes end in `/`). */
const objectArns = (prefixes: readonly string[]) =>
  prefixes.map((p) => ({ 'Fn::Sub': `${BUCKET_ARN}/${p}*` }));

/**
 * Read of the pinned runtime tarballs, by exact key: what user-data fetches before the host has
 * Node.js. None when the template has no user-data (no keys given).
 */
function readRuntime(keys: readonly string[]) {
  if (keys.length === 0) return [];
  const arns = keys.map((k) => ({ 'Fn::Sub': `${BUCKET_ARN}/${k}` }));
  return [{ Sid: 'ReadTheNodeRuntime', Effect: 'Allow', Action: ['s3:GetObject'], Resource: arns }];
}

function readEtcdRelease(keys: readonly string[]) {
  if (keys.length === 0) return [];
  const arns = keys.map((k) => ({ 'Fn::Sub': `${BUCKET_ARN}/${k}` }));
  return [{ Sid: 'ReadTheEtcdRelease', Effect: 'Allow', Action: ['s3:GetObject'], Resource: arns }];
}

const assumeByEc2 = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }],
};

/**
 * Associating an Elastic IP touches the address and the instance; both must carry this cluster's
 * tag, so an instance can only move this cluster's addresses between this cluster's instances.
 */
function associateOwnAddresses(spec: ClusterSpec) {
  return {
    Sid: 'AssociateOnlyThisClustersAddresses',
    Effect: 'Allow',
    Action: ['ec2:AssociateAddress', 'ec2:DisassociateAddress'],
    Resource: ['elastic-ip/*', 'instance/*', 'network-interface/*'].map((r) => ({
      'Fn::Sub': `${EC2_ARN}:${r}`,
    })),
    Condition: { StringEquals: { [`aws:ResourceTag/${TAG_KEYS.cluster}`]: spec.name } },
  };
}

function role(spec: ClusterSpec, which: 'master' | 'worker', statements: readonly unknown[]): CfnResource {
  return {
    Type: 'AWS::IAM::Role',
    Properties: {
      Description: `tugboat ${spec.name}: ${which} instances`,
      AssumeRolePolicyDocument: assumeByEc2,
      Policies: [
        { PolicyName: `tugboat-${which}`, PolicyDocument: { Version: '2012-10-17', Statement: statements } },
      ],
      Tags: buildTags(spec, { role: which, name: which }),
    },
  };
}

/**
 * The master's secrets and S3 access: read and create parameters under `master/`, `worker/` and
 * `shared/`, only create under `admin/`; read, write and delete the store's objects and backups,
 * read the bundles, and list only the cluster's own prefix of the bucket.
 */
function masterStorage(spec: ClusterSpec) {
  const s3 = clusterS3Paths(spec.name);
  const own = (['master', 'worker', 'shared'] as const).flatMap((scope) => parameterArns(spec, scope));
  return [
    {
      Sid: 'ReadAndCreateClusterSecrets',
      Effect: 'Allow',
      Action: [...READ_PARAMETERS, ...CREATE_PARAMETERS],
      Resource: own,
    },
    CHECK_SECRETS_KEY,
    {
      Sid: 'CreateTheAdminCredential',
      Effect: 'Allow',
      Action: CREATE_PARAMETERS,
      Resource: parameterArns(spec, 'admin'),
    },
    {
      Sid: 'ShipTheStoreAndBackups',
      Effect: 'Allow',
      Action: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'],
      Resource: objectArns([s3.store, s3.backups]),
    },
    { Sid: 'ReadBundles', Effect: 'Allow', Action: ['s3:GetObject'], Resource: objectArns([s3.bundles]) },
    reportBootFailure(spec),
    {
      Sid: 'ListOnlyTheClusterPrefix',
      Effect: 'Allow',
      Action: ['s3:ListBucket'],
      Resource: { 'Fn::Sub': BUCKET_ARN },
      Condition: { StringLike: { 's3:prefix': [s3.all, `${s3.all}*`] } },
    },
  ];
}

/**
 * Reading a secret checks that it is a SecureString under the cluster's own key (a planted
 * parameter of the same name is refused, see secrets/cluster-secrets.ts): GetParameter does not say the
 * key, DescribeParameters does — names and key ids only, never values — and cannot be scoped.
 */
const CHECK_SECRETS_KEY = {
  Sid: 'CheckTheSecretsKey',
  Effect: 'Allow',
  Action: ['ssm:DescribeParameters'],
  Resource: '*',
};

/** Workers read the bootstrap token under `worker/` and the bundles, nothing else of the cluster. */
function workerStorage(spec: ClusterSpec) {
  return [
    {
      Sid: 'ReadWorkerSecrets',
      Effect: 'Allow',
      Action: READ_PARAMETERS,
      Resource: parameterArns(spec, 'worker'),
    },
    CHECK_SECRETS_KEY,
    {
      Sid: 'ReadBundles',
      Effect: 'Allow',
      Action: ['s3:GetObject'],
      Resource: objectArns([clusterS3Paths(spec.name).bundles]),
    },
    reportBootFailure(spec),
  ];
}

/** A failed boot writes why under `<cluster>/boot/` (put only: it can neither read nor delete). */
function reportBootFailure(spec: ClusterSpec) {
  return {
    Sid: 'ReportBootFailure',
    Effect: 'Allow',
    Action: ['s3:PutObject'],
    Resource: objectArns([clusterS3Paths(spec.name).boot]),
  };
}

/**
 * A role and instance profile for the master and one for the workers, least privilege: describe
 * calls need `Resource: *` (they cannot be scoped); address association is conditioned on the
 * `tugboat:cluster` resource tag; parameters and S3 objects are scoped by path. KMS use is granted
 * by the key's own policy (template/secrets.ts), which names these roles, so the roles need no KMS
 * statement and the key and roles do not depend on each other both ways.
 */
export function buildIam(
  spec: ClusterSpec,
  runtimeKeys: readonly string[] = [],
  etcdKeys: readonly string[] = [],
): Record<string, CfnResource> {
  const master = [
    {
      Sid: 'DescribeClusterMembers',
      Effect: 'Allow',
      Action: [
        'ec2:DescribeInstances',
        'ec2:DescribeAddresses',
        'autoscaling:DescribeAutoScalingGroups',
        'autoscaling:DescribeAutoScalingInstances',
      ],
      Resource: '*',
    },
    associateOwnAddresses(spec),
    ...masterStorage(spec),
    ...readRuntime(runtimeKeys),
    ...readEtcdRelease(etcdKeys),
  ];
  const workersNeedEips = spec.workerGroups.some((g) => g.eip);
  const worker = [
    ...workerStorage(spec),
    ...readRuntime(runtimeKeys),
    ...(workersNeedEips
      ? [
          { Sid: 'FindPoolAddresses', Effect: 'Allow', Action: ['ec2:DescribeAddresses'], Resource: '*' },
          associateOwnAddresses(spec),
        ]
      : []),
  ];
  return {
    [IDS.masterRole]: role(spec, 'master', master),
    [IDS.masterInstanceProfile]: {
      Type: 'AWS::IAM::InstanceProfile',
      Properties: { Roles: [ref(IDS.masterRole)] },
    },
    [IDS.workerRole]: role(spec, 'worker', worker),
    [IDS.workerInstanceProfile]: {
      Type: 'AWS::IAM::InstanceProfile',
      Properties: { Roles: [ref(IDS.workerRole)] },
    },
  };
}
