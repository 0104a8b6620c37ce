import {
  AutoScalingClient,
  CreateAutoScalingGroupCommand,
  UpdateAutoScalingGroupCommand,
} from '@aws-sdk/client-auto-scaling';
import {
  CreateLaunchTemplateCommand,
  CreateLaunchTemplateVersionCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  DescribeImagesCommand,
  type EC2Client,
} from '@aws-sdk/client-ec2';
import { createAwsClients } from '../../src/aws/clients.js';
import type { AwsClients } from '../../src/aws/index.js';
import { type Moto, startMoto } from '../harness/moto.js';
import { motoEc2Client } from './moto-ec2.js';

/** moto with one VPC and subnet for worker groups, our clients and the raw SDK clients a test sets it up with. */
export interface MotoWorkerGroups {
  readonly moto: Moto;
  readonly aws: AwsClients;
  readonly ec2: EC2Client;
  readonly asg: AutoScalingClient;
  readonly subnetId: string;
  readonly imageId: string;
  stop(): Promise<void>;
}

/** Starts moto with a VPC and a subnet in us-east-1a (`cidr` a /16, the subnet its .1.0/24). */
export async function startMotoWorkerGroups(cidr = '10.0.0.0/16'): Promise<MotoWorkerGroups> {
  const moto = await startMoto();
  const aws = await createAwsClients({ env: { ...process.env, ...moto.env } });
  const ec2 = motoEc2Client(moto);
  const asg = new AutoScalingClient({
    region: 'us-east-1',
    endpoint: moto.endpoint,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  const vpc = await ec2.send(new CreateVpcCommand({ CidrBlock: cidr }));
  const subnet = await ec2.send(
    new CreateSubnetCommand({
      VpcId: vpc.Vpc!.VpcId!,
      CidrBlock: cidr.replace(/\.0\.0\/16$/, '.1.0/24'),
      AvailabilityZone: 'us-east-1a',
    }),
  );
  return {
    moto,
    aws,
    ec2,
    asg,
    subnetId: subnet.Subnet!.SubnetId!,
    imageId: (await ec2.send(new DescribeImagesCommand({}))).Images![0]!.ImageId!,
    async stop() {
      ec2.destroy();
      asg.destroy();
      await moto.stop();
    },
  };
}

/** A worker group made by {@link typeChangedGroup}. */
export interface TypeChangedGroup {
  readonly name: string;
  readonly templateId: string;
  /** Moves the group to version 2, as CloudFormation does during the stack update. */
  move(): Promise<void>;
}

/**
 * A worker group of `cluster` launched from version 1 (t3.small) of its launch template, then a
 * version 2 saying t3.large, as a stack update that changes the instance type makes. The group
 * stays on version 1 (where moto leaves it) unless `moved`. @default role worker, group `workers`
 */
export async function typeChangedGroup(
  env: MotoWorkerGroups,
  cluster: string,
  sizes: { desired: number; max: number; moved: boolean; role?: 'master' | 'worker'; group?: string },
): Promise<TypeChangedGroup> {
  const group = sizes.group ?? 'workers';
  const lt = await env.ec2.send(
    new CreateLaunchTemplateCommand({
      LaunchTemplateName: `${cluster}-${group}`,
      LaunchTemplateData: { ImageId: env.imageId, InstanceType: 't3.small' },
    }),
  );
  const templateId = lt.LaunchTemplate!.LaunchTemplateId!;
  const name = `${cluster}-${group}-asg`;
  await env.asg.send(
    new CreateAutoScalingGroupCommand({
      AutoScalingGroupName: name,
      MinSize: 1,
      MaxSize: sizes.max,
      DesiredCapacity: sizes.desired,
      LaunchTemplate: { LaunchTemplateId: templateId, Version: '1' },
      VPCZoneIdentifier: env.subnetId,
      Tags: [
        { Key: 'tugboat:cluster', Value: cluster, PropagateAtLaunch: true },
        { Key: 'tugboat:role', Value: sizes.role ?? 'worker', PropagateAtLaunch: true },
        { Key: 'tugboat:group', Value: group, PropagateAtLaunch: true },
      ],
    }),
  );
  await env.ec2.send(
    new CreateLaunchTemplateVersionCommand({
      LaunchTemplateId: templateId,
      LaunchTemplateData: { ImageId: env.imageId, InstanceType: 't3.large' },
    }),
  );
  const move = async () => {
    await env.asg.send(
      new UpdateAutoScalingGroupCommand({
        AutoScalingGroupName: name,
        LaunchTemplate: { LaunchTemplateId: templateId, Version: '2' },
      }),
    );
  };
  if (sizes.moved) await move();
  return { name, templateId, move };
}
