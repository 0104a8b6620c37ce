import {
  AllocateAddressCommand,
  AssociateRouteTableCommand,
  AttachInternetGatewayCommand,
  AuthorizeSecurityGroupIngressCommand,
  CreateInternetGatewayCommand,
  CreateNetworkInterfaceCommand,
  CreateRouteTableCommand,
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  DescribeSecurityGroupsCommand,
  DescribeVpcsCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import {
  ChangeResourceRecordSetsCommand,
  ChangeTagsForResourceCommand,
  CreateHostedZoneCommand,
  ListHostedZonesCommand,
  ListResourceRecordSetsCommand,
  Route53Client,
} from '@aws-sdk/client-route-53';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RecordingEvents } from '../../src/index.js';
import { findLeftovers, ownershipTxt } from '../../src/provision/leftovers.js';
import { proveDeleted } from '../../src/provision/proof.js';
import { sweepCluster } from '../../src/provision/sweep.js';
import { templateBucket } from '../../src/provision/template-store.js';
import { type MotoAws, startMotoAws } from '../support/moto-aws.js';

const tags = (cluster?: string) =>
  cluster ? [{ Key: 'tugboat:cluster', Value: cluster }] : [{ Key: 'owner', Value: 'someone-else' }];

/** A VPC with gateway, routes, subnet, two security groups naming each other, an ENI and an EIP. */
async function network(ec2: EC2Client, cluster?: string) {
  const spec = (type: string) => [{ ResourceType: type as never, Tags: tags(cluster) }];
  const vpc = (
    await ec2.send(new CreateVpcCommand({ CidrBlock: '10.7.0.0/16', TagSpecifications: spec('vpc') }))
  ).Vpc?.VpcId as string;
  const igw = (
    await ec2.send(new CreateInternetGatewayCommand({ TagSpecifications: spec('internet-gateway') }))
  ).InternetGateway?.InternetGatewayId as string;
  await ec2.send(new AttachInternetGatewayCommand({ InternetGatewayId: igw, VpcId: vpc }));
  const subnet = (
    await ec2.send(
      new CreateSubnetCommand({ VpcId: vpc, CidrBlock: '10.7.1.0/24', TagSpecifications: spec('subnet') }),
    )
  ).Subnet?.SubnetId as string;
  const rt = (
    await ec2.send(new CreateRouteTableCommand({ VpcId: vpc, TagSpecifications: spec('route-table') }))
  ).RouteTable?.RouteTableId as string;
  await ec2.send(new AssociateRouteTableCommand({ RouteTableId: rt, SubnetId: subnet }));
  const sg = async (name: string) =>
    (
      await ec2.send(
        new CreateSecurityGroupCommand({
          GroupName: name,
          Description: name,
          VpcId: vpc,
          TagSpecifications: spec('security-group'),
        }),
      )
    ).GroupId as string;
  const [a, b] = [await sg('a'), await sg('b')];
  for (const [g, other] of [
    [a, b],
    [b, a],
  ] as const) {
    await ec2.send(
      new AuthorizeSecurityGroupIngressCommand({
        GroupId: g,
        IpPermissions: [
          { IpProtocol: 'tcp', FromPort: 1, ToPort: 2, UserIdGroupPairs: [{ GroupId: other }] },
        ],
      }),
    );
  }
  await ec2.send(new CreateNetworkInterfaceCommand({ SubnetId: subnet }));
  await ec2.send(new AllocateAddressCommand({ Domain: 'vpc', TagSpecifications: spec('elastic-ip') }));
  return { vpc, a };
}

describe('sweep by tag on moto_server', () => {
  let env: MotoAws;
  let ec2: EC2Client;
  let r53: Route53Client;
  beforeAll(async () => {
    env = await startMotoAws();
    const config = {
      region: 'us-east-1',
      endpoint: env.moto.endpoint,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    };
    ec2 = new EC2Client(config);
    r53 = new Route53Client(config);
  });
  afterAll(async () => {
    await env?.stop();
  });

  it('revokes rules that name other groups', async () => {
    const { a } = await network(ec2, 'revoke');
    expect(await env.aws.ec2Sweep.revokeSecurityGroupReferences(a)).toBe(1);
    const after = await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [a] }));
    expect(after.SecurityGroups?.[0]?.IpPermissions ?? []).toEqual([]);
    await sweepCluster({ aws: env.aws, cluster: 'revoke', events: new RecordingEvents(), retryDelayMs: 10 });
  });

  it("takes an untagged route table in the cluster's VPC (moto's CloudFormation drops a RouteTable's Tags), and none in another VPC", async () => {
    const vpcOf = async (cluster?: string) =>
      (
        await ec2.send(
          new CreateVpcCommand({
            CidrBlock: '10.8.0.0/16',
            TagSpecifications: [{ ResourceType: 'vpc', Tags: tags(cluster) }],
          }),
        )
      ).Vpc?.VpcId as string;
    const [ours, theirs] = [await vpcOf('rtb'), await vpcOf()];
    const subnet = (
      await ec2.send(
        new CreateSubnetCommand({
          VpcId: ours,
          CidrBlock: '10.8.1.0/24',
          TagSpecifications: [{ ResourceType: 'subnet', Tags: tags('rtb') }],
        }),
      )
    ).Subnet?.SubnetId as string;
    const table = async (vpc: string) =>
      (await ec2.send(new CreateRouteTableCommand({ VpcId: vpc }))).RouteTable?.RouteTableId as string;
    const [untagged, other] = [await table(ours), await table(theirs)];
    await ec2.send(new AssociateRouteTableCommand({ RouteTableId: untagged, SubnetId: subnet }));
    const found = await findLeftovers(env.aws, 'rtb');
    expect(found.filter((l) => l.kind === 'route-table').map((l) => l.id)).toEqual([untagged]);
    await sweepCluster({ aws: env.aws, cluster: 'rtb', events: new RecordingEvents(), retryDelayMs: 10 });
    expect((await proveDeleted(env.aws, 'rtb')).clean).toBe(true);
    expect((await ec2.send(new DescribeVpcsCommand({ VpcIds: [theirs] }))).Vpcs).toHaveLength(1);
    const left = await env.aws.ec2Sweep.describeRouteTables([{ name: 'vpc-id', values: [theirs] }]);
    expect(left.map((t) => t.id)).toContain(other);
  });

  it('deletes every tagged leftover in dependency order and never touches untagged resources', async () => {
    const theirs = await network(ec2);
    const ours = await network(ec2, 'swept');
    const ownZone = await r53.send(
      new CreateHostedZoneCommand({ Name: 'swept.example.org', CallerReference: 'z1' }),
    );
    const ownZoneId = (ownZone.HostedZone?.Id ?? '').replace('/hostedzone/', '');
    await r53.send(
      new ChangeTagsForResourceCommand({
        ResourceType: 'hostedzone',
        ResourceId: ownZoneId,
        AddTags: tags('swept'),
      }),
    );
    const userZone = await r53.send(
      new CreateHostedZoneCommand({ Name: 'user.example.net', CallerReference: 'z2' }),
    );
    const userZoneId = (userZone.HostedZone?.Id ?? '').replace('/hostedzone/', '');
    const record = (name: string, type: 'A' | 'TXT', value: string) => ({
      Action: 'CREATE' as const,
      ResourceRecordSet: { Name: name, Type: type, TTL: 60, ResourceRecords: [{ Value: value }] },
    });
    await r53.send(
      new ChangeResourceRecordSetsCommand({
        HostedZoneId: ownZoneId,
        ChangeBatch: { Changes: [record('api.swept.example.org', 'A', '203.0.113.1')] },
      }),
    );
    await r53.send(
      new ChangeResourceRecordSetsCommand({
        HostedZoneId: userZoneId,
        ChangeBatch: {
          Changes: [
            record('api.swept.user.example.net', 'A', '203.0.113.2'),
            record('api.swept.user.example.net', 'TXT', ownershipTxt('swept')),
            record('www.user.example.net', 'A', '203.0.113.3'),
          ],
        },
      }),
    );
    await env.aws.ec2.importKeyPair(
      'tugboat-swept',
      'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIE0q8g4BtvGr6mQFbBzY2NOwXJfPJ3T8q2dRzQXzGsJm x',
      {
        'tugboat:cluster': 'swept',
      },
    );

    // Staged templates in the shared bucket: ours (tagged, under our prefix), one under our prefix
    // without the tag, and one of a cluster whose name starts like ours.
    const bucket = await templateBucket(env.aws);
    await env.aws.s3.ensurePrivateBucket(bucket, { 'tugboat:managed': 'true' });
    await env.aws.s3.putObject(bucket, 'swept/a.json', '{}', { 'tugboat:cluster': 'swept' });
    await env.aws.s3.putObject(bucket, 'swept/untagged.json', '{}', { owner: 'someone-else' });
    await env.aws.s3.putObject(bucket, 'swept-2/b.json', '{}', { 'tugboat:cluster': 'swept-2' });

    const before = await findLeftovers(env.aws, 'swept');
    expect(new Set(before.map((l) => l.kind))).toEqual(
      new Set([
        'elastic-ip',
        'network-interface',
        'security-group',
        'subnet',
        'route-table',
        'internet-gateway',
        'vpc',
        'key-pair',
        'dns-record',
        'hosted-zone',
        'template-object',
      ]),
    );
    expect(before.filter((l) => l.kind === 'template-object').map((l) => l.id)).toEqual([
      `s3://${bucket.bucket}/swept/a.json`,
    ]);
    const events = new RecordingEvents();
    const result = await sweepCluster({ aws: env.aws, cluster: 'swept', events, retryDelayMs: 10 });
    expect(result.remaining).toEqual([]);
    const order = result.deleted.map((d) => d.kind);
    expect(order.indexOf('internet-gateway')).toBeLessThan(order.indexOf('vpc'));
    expect(order.indexOf('dns-record')).toBeLessThan(order.indexOf('hosted-zone'));
    const proof = await proveDeleted(env.aws, 'swept');
    expect(proof).toMatchObject({ clean: true, remaining: [] });

    // Nothing without the tag was touched: the other VPC and its groups, the user's zone and record.
    const vpcs = (await ec2.send(new DescribeVpcsCommand({}))).Vpcs?.map((v) => v.VpcId);
    expect(vpcs).toContain(theirs.vpc);
    expect(vpcs).not.toContain(ours.vpc);
    const theirGroup = await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [theirs.a] }));
    expect(theirGroup.SecurityGroups?.[0]?.IpPermissions?.length).toBe(1);
    const zones = (await r53.send(new ListHostedZonesCommand({}))).HostedZones?.map((z) => z.Name);
    expect(zones).toEqual(['user.example.net.']);
    const userRecords = (
      await r53.send(new ListResourceRecordSetsCommand({ HostedZoneId: userZoneId }))
    ).ResourceRecordSets?.map((r) => `${r.Name} ${r.Type}`);
    expect(userRecords).toContain('www.user.example.net. A');
    expect(userRecords).not.toContain('api.swept.user.example.net. A');
    expect(await env.aws.s3.listKeys(bucket, '')).toEqual(['swept-2/b.json', 'swept/untagged.json']);
  });
});
