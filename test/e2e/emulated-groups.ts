import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AutoScalingClient,
  CreateAutoScalingGroupCommand,
  UpdateAutoScalingGroupCommand,
} from '@aws-sdk/client-auto-scaling';
import {
  CreateLaunchTemplateCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  ImportKeyPairCommand,
} from '@aws-sdk/client-ec2';
import { run } from '../harness/hosts/shell.js';
import { type Moto, startMoto } from '../harness/moto.js';
import { motoEc2Client } from '../support/moto-ec2.js';

/** One auto-scaling group of {@link startEmulatedGroups}, with a launch template of its own. */
export interface EmulatedGroupSpec {
  readonly name: string;
  readonly desired: number;
  /** The launch template's user-data (plain text; sent base64 as EC2 wants it). @default none */
  readonly userData?: string;
}

/** Options of {@link startEmulatedGroups}. */
export interface EmulatedGroupsOptions {
  /** Tag value of `tugboat:cluster` on every instance (what the host harness watches). */
  readonly cluster: string;
  /** e.g. `10.78.0.0/16`; the groups launch into its first /24 (`10.78.1.0/24`) in us-east-1a. */
  readonly vpcCidr: string;
  readonly subnetCidr: string;
  readonly groups: readonly EmulatedGroupSpec[];
}

/** moto with auto-scaling groups of instances tagged for a cluster, each with an EC2 key pair. */
export interface EmulatedGroups {
  readonly moto: Moto;
  /** Sets a group's desired capacity (min 0). */
  scale(name: string, desired: number): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Starts moto and creates a VPC, one subnet, a key pair (generated; the private half is not
 * kept: these hosts are not logged into) and, per group, a launch template and an auto-scaling
 * group whose instances carry `tugboat:cluster` and `tugboat:role=worker`.
 */
export async function startEmulatedGroups(options: EmulatedGroupsOptions): Promise<EmulatedGroups> {
  const moto = await startMoto();
  const ec2 = motoEc2Client(moto);
  const asg = new AutoScalingClient({
    endpoint: moto.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  const stop = async () => {
    ec2.destroy();
    asg.destroy();
    await moto.stop();
  };
  const keyDir = mkdtempSync(join(tmpdir(), 'tugboat-e2e-key-'));
  try {
    run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(keyDir, 'id'), '-C', 'e2e']);
    const keyName = options.cluster;
    await ec2.send(
      new ImportKeyPairCommand({ KeyName: keyName, PublicKeyMaterial: readFileSync(join(keyDir, 'id.pub')) }),
    );
    const vpc = await ec2.send(new CreateVpcCommand({ CidrBlock: options.vpcCidr }));
    const subnet = await ec2.send(
      new CreateSubnetCommand({
        VpcId: vpc.Vpc?.VpcId,
        CidrBlock: options.subnetCidr,
        AvailabilityZone: 'us-east-1a',
      }),
    );
    for (const g of options.groups) {
      await ec2.send(
        new CreateLaunchTemplateCommand({
          LaunchTemplateName: g.name,
          LaunchTemplateData: {
            ImageId: 'ami-12c6146b',
            InstanceType: 't3.micro',
            KeyName: keyName,
            ...(g.userData ? { UserData: Buffer.from(g.userData).toString('base64') } : {}),
          },
        }),
      );
      await asg.send(
        new CreateAutoScalingGroupCommand({
          AutoScalingGroupName: g.name,
          MinSize: 0,
          MaxSize: Math.max(2, g.desired),
          DesiredCapacity: g.desired,
          LaunchTemplate: { LaunchTemplateName: g.name },
          VPCZoneIdentifier: subnet.Subnet?.SubnetId,
          Tags: [
            { Key: 'tugboat:cluster', Value: options.cluster, PropagateAtLaunch: true },
            { Key: 'tugboat:role', Value: 'worker', PropagateAtLaunch: true },
          ],
        }),
      );
    }
  } catch (err) {
    await stop();
    throw err;
  } finally {
    rmSync(keyDir, { recursive: true, force: true });
  }
  return {
    moto,
    async scale(name, desired) {
      await asg.send(
        new UpdateAutoScalingGroupCommand({
          AutoScalingGroupName: name,
          MinSize: 0,
          DesiredCapacity: desired,
        }),
      );
    },
    stop,
  };
}
