import { AutoScalingClient, DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import {
  DescribeAddressesCommand,
  DescribeInstancesCommand,
  DescribeInternetGatewaysCommand,
  DescribeKeyPairsCommand,
  DescribeLaunchTemplatesCommand,
  DescribeRouteTablesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  DescribeVpcsCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import { ListHostedZonesCommand, ListTagsForResourcesCommand, Route53Client } from '@aws-sdk/client-route-53';
import {
  GetObjectTaggingCommand,
  ListBucketsCommand,
  ListObjectsV2Command,
  S3Client,
} from '@aws-sdk/client-s3';

/**
 * Describes every resource type tugboat creates straight through the AWS SDK (independently of
 * tugboat's own sweep code) and returns `type id` for each one tagged `tugboat:cluster=<name>`.
 */
export async function describeTagged(env: NodeJS.ProcessEnv, cluster: string): Promise<string[]> {
  const config = {
    region: env.AWS_REGION ?? 'us-east-1',
    endpoint: env.AWS_ENDPOINT_URL,
    credentials: {
      accessKeyId: env.AWS_ACCESS_KEY_ID ?? 'test',
      secretAccessKey: env.AWS_SECRET_ACCESS_KEY ?? 'test',
    },
  };
  const ec2 = new EC2Client(config);
  const Filters = [{ Name: 'tag:tugboat:cluster', Values: [cluster] }];
  const found: string[] = [];
  const add = (type: string, ids: (string | undefined)[]) => {
    for (const id of ids) found.push(`${type} ${id}`);
  };
  add(
    'vpc',
    ((await ec2.send(new DescribeVpcsCommand({ Filters }))).Vpcs ?? []).map((v) => v.VpcId),
  );
  add(
    'subnet',
    ((await ec2.send(new DescribeSubnetsCommand({ Filters }))).Subnets ?? []).map((v) => v.SubnetId),
  );
  add(
    'internet-gateway',
    ((await ec2.send(new DescribeInternetGatewaysCommand({ Filters }))).InternetGateways ?? []).map(
      (v) => v.InternetGatewayId,
    ),
  );
  add(
    'route-table',
    ((await ec2.send(new DescribeRouteTablesCommand({ Filters }))).RouteTables ?? []).map(
      (v) => v.RouteTableId,
    ),
  );
  add(
    'security-group',
    ((await ec2.send(new DescribeSecurityGroupsCommand({ Filters }))).SecurityGroups ?? []).map(
      (v) => v.GroupId,
    ),
  );
  add(
    'elastic-ip',
    ((await ec2.send(new DescribeAddressesCommand({ Filters }))).Addresses ?? []).map((v) => v.AllocationId),
  );
  const reservations = (await ec2.send(new DescribeInstancesCommand({ Filters }))).Reservations ?? [];
  add(
    'instance',
    reservations
      .flatMap((r) => r.Instances ?? [])
      .filter((i) => i.State?.Name !== 'terminated')
      .map((i) => i.InstanceId),
  );
  add(
    'launch-template',
    ((await ec2.send(new DescribeLaunchTemplatesCommand({ Filters }))).LaunchTemplates ?? []).map(
      (v) => v.LaunchTemplateId,
    ),
  );
  add(
    'key-pair',
    ((await ec2.send(new DescribeKeyPairsCommand({ Filters }))).KeyPairs ?? []).map((v) => v.KeyName),
  );
  const asg = new AutoScalingClient(config);
  const groups = (await asg.send(new DescribeAutoScalingGroupsCommand({}))).AutoScalingGroups ?? [];
  add(
    'auto-scaling-group',
    groups
      .filter((g) => g.Tags?.some((t) => t.Key === 'tugboat:cluster' && t.Value === cluster))
      .map((g) => g.AutoScalingGroupName),
  );
  const r53 = new Route53Client(config);
  const zones = (await r53.send(new ListHostedZonesCommand({}))).HostedZones ?? [];
  if (zones.length) {
    const ids = zones.map((z) => (z.Id ?? '').replace('/hostedzone/', ''));
    const tags = await r53.send(
      new ListTagsForResourcesCommand({ ResourceType: 'hostedzone', ResourceIds: ids }),
    );
    add(
      'hosted-zone',
      (tags.ResourceTagSets ?? [])
        .filter((s) => s.Tags?.some((t) => t.Key === 'tugboat:cluster' && t.Value === cluster))
        .map((s) => s.ResourceId),
    );
  }
  // Staged templates: every object of a tugboat template bucket tagged with the cluster.
  const s3 = new S3Client({ ...config, forcePathStyle: true });
  for (const b of (await s3.send(new ListBucketsCommand({}))).Buckets ?? []) {
    if (!b.Name?.startsWith('tugboat-templates-')) continue;
    const objects = (await s3.send(new ListObjectsV2Command({ Bucket: b.Name }))).Contents ?? [];
    for (const o of objects) {
      const tagSet = (await s3.send(new GetObjectTaggingCommand({ Bucket: b.Name, Key: o.Key }))).TagSet;
      if (tagSet?.some((t) => t.Key === 'tugboat:cluster' && t.Value === cluster))
        add('template-object', [`s3://${b.Name}/${o.Key}`]);
    }
  }
  return found;
}
