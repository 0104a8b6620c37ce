import {
  AllocateAddressCommand,
  CreateTagsCommand,
  DescribeImagesCommand,
  EC2Client,
  RunInstancesCommand,
} from '@aws-sdk/client-ec2';
import type { Moto } from '../harness/moto.js';

/** An SDK EC2 client for a test's moto_server. */
export function motoEc2Client(moto: Moto): EC2Client {
  return new EC2Client({
    region: 'us-east-1',
    endpoint: moto.endpoint,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
}

/** Runs one instance tagged `tugboat:cluster=<cluster>`; returns its id and private IP. */
export async function launchClusterInstance(
  ec2: EC2Client,
  cluster: string,
  /** A subnet and private address of the caller's (e.g. loopback, 127.x, so the test can reach it). @default moto's choice */
  at?: { readonly subnetId: string; readonly privateIp: string },
): Promise<{ id: string; ip: string }> {
  const images = await ec2.send(new DescribeImagesCommand({}));
  const out = await ec2.send(
    new RunInstancesCommand({
      ImageId: images.Images?.[0]?.ImageId,
      MinCount: 1,
      MaxCount: 1,
      InstanceType: 't3.small',
      ...(at ? { SubnetId: at.subnetId, PrivateIpAddress: at.privateIp } : {}),
    }),
  );
  const i = out.Instances?.[0];
  if (!i?.InstanceId) throw new Error('moto returned no instance');
  await ec2.send(
    new CreateTagsCommand({ Resources: [i.InstanceId], Tags: [{ Key: 'tugboat:cluster', Value: cluster }] }),
  );
  return { id: i.InstanceId, ip: i.PrivateIpAddress ?? '' };
}

/** Allocates an Elastic IP in the cluster's pool (tags `tugboat:cluster`, `tugboat:pool`); returns its allocation id. */
export async function allocatePoolAddress(ec2: EC2Client, cluster: string, pool: string): Promise<string> {
  const out = await ec2.send(
    new AllocateAddressCommand({
      Domain: 'vpc',
      TagSpecifications: [
        {
          ResourceType: 'elastic-ip',
          Tags: [
            { Key: 'tugboat:cluster', Value: cluster },
            { Key: 'tugboat:pool', Value: pool },
          ],
        },
      ],
    }),
  );
  return out.AllocationId ?? '';
}
