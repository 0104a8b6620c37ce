import type { ClusterDefinition } from '../../src/cluster/types.js';

/** A worker group of the hand-written test template. */
export interface TestGroup {
  readonly name: string;
  readonly min: number;
  readonly max: number;
  readonly desired: number;
}

/** Shape of the small stand-in template the AWS lifecycle tests deploy on moto. */
export interface TestTemplateOptions {
  readonly groups?: readonly TestGroup[];
  /** Pool EIPs. @default 2 */
  readonly eips?: number;
  /** Give the subnet a CIDR outside the VPC so the stack fails on it. @default false */
  readonly brokenSubnet?: boolean;
  /** Add the cluster's KMS secrets key, its alias and the `SecretsKeyId` output. @default false */
  readonly secretsKey?: boolean;
}

const tag = (cluster: string, extra: Record<string, string> = {}) =>
  Object.entries({ 'tugboat:cluster': cluster, ...extra }).map(([Key, Value]) => ({ Key, Value }));

const asgTags = (cluster: string, role: string, group?: string) =>
  tag(cluster, { 'tugboat:role': role, ...(group ? { 'tugboat:group': group } : {}) }).map((t) => ({
    ...t,
    PropagateAtLaunch: true,
  }));

/**
 * A minimal cluster template (VPC, subnet, gateway, routes, security group, launch template,
 * master and worker ASGs, tagged EIP pool). Stands in for the real template builders in tests of
 * the stack lifecycle, which only ever see rendered JSON.
 */
export function testDefinition(cluster: string, options: TestTemplateOptions = {}): ClusterDefinition {
  const groups = options.groups ?? [{ name: 'workers', min: 0, max: 5, desired: 2 }];
  const resources: Record<string, unknown> = {
    Vpc: { Type: 'AWS::EC2::VPC', Properties: { CidrBlock: '10.0.0.0/16', Tags: tag(cluster) } },
    Igw: { Type: 'AWS::EC2::InternetGateway', Properties: { Tags: tag(cluster) } },
    IgwAttach: {
      Type: 'AWS::EC2::VPCGatewayAttachment',
      Properties: { VpcId: { Ref: 'Vpc' }, InternetGatewayId: { Ref: 'Igw' } },
    },
    SubnetA: {
      Type: 'AWS::EC2::Subnet',
      Properties: {
        VpcId: { Ref: 'Vpc' },
        CidrBlock: options.brokenSubnet ? '192.168.77.0/24' : '10.0.0.0/20',
        AvailabilityZone: 'us-east-1a',
        Tags: tag(cluster),
      },
    },
    RouteTable: { Type: 'AWS::EC2::RouteTable', Properties: { VpcId: { Ref: 'Vpc' }, Tags: tag(cluster) } },
    DefaultRoute: {
      Type: 'AWS::EC2::Route',
      DependsOn: 'IgwAttach',
      Properties: {
        RouteTableId: { Ref: 'RouteTable' },
        DestinationCidrBlock: '0.0.0.0/0',
        GatewayId: { Ref: 'Igw' },
      },
    },
    SubnetARoutes: {
      Type: 'AWS::EC2::SubnetRouteTableAssociation',
      Properties: { RouteTableId: { Ref: 'RouteTable' }, SubnetId: { Ref: 'SubnetA' } },
    },
    NodeSecurityGroup: {
      Type: 'AWS::EC2::SecurityGroup',
      Properties: { GroupDescription: 'tugboat nodes', VpcId: { Ref: 'Vpc' }, Tags: tag(cluster) },
    },
    NodeLaunchTemplate: {
      Type: 'AWS::EC2::LaunchTemplate',
      Properties: {
        LaunchTemplateData: {
          ImageId: 'ami-12c6146b',
          InstanceType: 't3.small',
          KeyName: { Ref: 'KeyName' },
          SecurityGroupIds: [{ Ref: 'NodeSecurityGroup' }],
        },
        TagSpecifications: [{ ResourceType: 'launch-template', Tags: tag(cluster) }],
      },
    },
    MasterGroup: asg(cluster, 'master', undefined, '1', '1', '1'),
  };
  const parameters: Record<string, string> = { KeyName: '' };
  const params: Record<string, unknown> = { KeyName: { Type: 'String' } };
  const outputs: Record<string, unknown> = { MasterGroupName: { Value: { Ref: 'MasterGroup' } } };
  groups.forEach((g, i) => {
    const id = `Workers${i}`;
    params[`${id}Desired`] = { Type: 'Number' };
    parameters[`${id}Desired`] = String(g.desired);
    resources[`${id}Group`] = asg(cluster, 'worker', g.name, String(g.min), String(g.max), {
      Ref: `${id}Desired`,
    });
    outputs[`${id}GroupName`] = { Value: { Ref: `${id}Group` } };
  });
  if (options.secretsKey) {
    // As the real template's (template/secrets.ts), with a policy that only names the account.
    resources.SecretsKey = {
      Type: 'AWS::KMS::Key',
      Properties: {
        PendingWindowInDays: 7,
        KeyPolicy: {
          'Fn::Sub': JSON.stringify({
            Version: '2012-10-17',
            Statement: [
              {
                Effect: 'Allow',
                // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation placeholders.
                Principal: { AWS: 'arn:aws:iam::${AWS::AccountId}:root' },
                Action: 'kms:*',
                Resource: '*',
              },
            ],
          }),
        },
      },
    };
    resources.SecretsKeyAlias = {
      Type: 'AWS::KMS::Alias',
      Properties: { AliasName: `alias/tugboat-${cluster}`, TargetKeyId: { Ref: 'SecretsKey' } },
    };
    outputs.SecretsKeyId = { Value: { Ref: 'SecretsKey' } };
  }
  for (let i = 0; i < (options.eips ?? 2); i++) {
    resources[`PoolEip${i}`] = {
      Type: 'AWS::EC2::EIP',
      Properties: { Domain: 'vpc', Tags: tag(cluster, { 'tugboat:pool': 'any' }) },
    };
  }
  return {
    name: cluster,
    template: {
      AWSTemplateFormatVersion: '2010-09-09',
      Parameters: params,
      Resources: resources,
      Outputs: outputs,
    },
    parameters,
  };
}

function asg(
  cluster: string,
  role: string,
  group: string | undefined,
  min: string,
  max: string,
  desired: unknown,
) {
  return {
    Type: 'AWS::AutoScaling::AutoScalingGroup',
    Properties: {
      MinSize: min,
      MaxSize: max,
      DesiredCapacity: desired,
      VPCZoneIdentifier: [{ Ref: 'SubnetA' }],
      LaunchTemplate: {
        LaunchTemplateId: { Ref: 'NodeLaunchTemplate' },
        Version: { 'Fn::GetAtt': ['NodeLaunchTemplate', 'LatestVersionNumber'] },
      },
      Tags: asgTags(cluster, role, group),
    },
  };
}
