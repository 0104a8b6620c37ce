import type { ClusterSpec } from '../../config/types.js';
import { IDS, TAG_KEYS } from './names.js';
import { buildTags } from './tags.js';
import { type CfnResource, ref } from './types.js';

// biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation Fn::Sub placeholders, not JS ones.
const EC2_ARN = 'arn:${AWS::Partition}:ec2:${AWS::Region}:${AWS::AccountId}';

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
      ...(statements.length > 0
        ? {
            Policies: [
              {
                PolicyName: `tugboat-${which}`,
                PolicyDocument: { Version: '2012-10-17', Statement: statements },
              },
            ],
          }
        : {}),
      Tags: buildTags(spec, { role: which, name: which }),
    },
  };
}

/**
 * A role and instance profile for the master and one for the workers, least privilege: describe
 * calls need `Resource: *` (they cannot be scoped); address association is conditioned on the
 * `tugboat:cluster` resource tag. Workers get nothing unless a worker group uses Elastic IPs.
 */
export function buildIam(spec: ClusterSpec): Record<string, CfnResource> {
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
  ];
  const workersNeedEips = spec.workerGroups.some((g) => g.eip);
  const worker = workersNeedEips
    ? [
        { Sid: 'FindPoolAddresses', Effect: 'Allow', Action: ['ec2:DescribeAddresses'], Resource: '*' },
        associateOwnAddresses(spec),
      ]
    : [];
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
