import { AutoScalingClient, DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import {
  CloudFormationClient,
  CreateStackCommand,
  DescribeStacksCommand,
  type Stack,
} from '@aws-sdk/client-cloudformation';
import {
  CreateSubnetCommand,
  CreateVpcCommand,
  DescribeInstanceAttributeCommand,
  DescribeInstancesCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import {
  CreateHostedZoneCommand,
  ListResourceRecordSetsCommand,
  Route53Client,
} from '@aws-sdk/client-route-53';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BOOT_TEMPLATE_CONTEXT } from '../../../src/boot/user-data.js';
import { type ClusterSpec, masterZones } from '../../../src/config/index.js';
import { stackNameOf } from '../../../src/naming.js';
import {
  buildTemplate,
  type CloudFormationTemplate,
  masterAsgOutputKey,
  OUTPUTS,
  REQUIRED_CAPABILITIES,
  renderTemplate,
  renderTemplateBody,
  templateParameters,
  workerAsgOutputKey,
} from '../../../src/provision/template/index.js';
import { type Moto, startMoto } from '../../harness/moto.js';
import { type ExampleName, loadExample } from '../../support/examples.js';

/** Each rendering is deployed by at least one example: compact is what tugboat create sends. */
const RENDERING: Record<ExampleName, 'compact' | 'json' | 'yaml'> = {
  minimal: 'compact',
  'three-az': 'yaml',
  'existing-vpc': 'json',
  'route53-eip': 'compact',
  e2e: 'compact',
  'single-node': 'compact',
  'ha-masters': 'json',
};

function bodyIn(format: 'compact' | 'json' | 'yaml', template: CloudFormationTemplate): string {
  return format === 'compact' ? renderTemplateBody(template).body : renderTemplate(template, format);
}

let moto: Moto;
beforeAll(async () => {
  moto = await startMoto();
});
afterAll(async () => {
  await moto?.stop();
});

const clientConfig = (region: string) => ({
  region,
  endpoint: moto.endpoint,
  credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
});

/** Prepares what an example needs in the emulator first and returns the literal replacements. */
async function prerequisites(name: ExampleName): Promise<Record<string, string>> {
  if (name === 'existing-vpc') {
    const ec2 = new EC2Client(clientConfig('us-west-2'));
    const vpc = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.7.0.0/16' }));
    const vpcId = vpc.Vpc!.VpcId!;
    const subnet = async (zone: string, cidr: string) =>
      (await ec2.send(new CreateSubnetCommand({ VpcId: vpcId, AvailabilityZone: zone, CidrBlock: cidr })))
        .Subnet!.SubnetId!;
    return {
      'vpc-0123456789abcdef0': vpcId,
      'subnet-0aaaaaaaaaaaaaaa1': await subnet('us-west-2a', '10.7.0.0/20'),
      'subnet-0bbbbbbbbbbbbbbb2': await subnet('us-west-2b', '10.7.16.0/20'),
    };
  }
  if (name === 'route53-eip' || name === 'ha-masters') {
    const route53 = new Route53Client(clientConfig('us-east-1'));
    const zone = await route53.send(
      new CreateHostedZoneCommand({
        Name: `${name}.example.com`,
        CallerReference: `tugboat-test-${process.pid}`,
      }),
    );
    return { Z0123456789ABCDEFGHIJ: zone.HostedZone!.Id!.replace('/hostedzone/', '') };
  }
  return {};
}

/** Polls (bounded) until the stack leaves its *_IN_PROGRESS state. */
async function settledStack(cfn: CloudFormationClient, name: string): Promise<Stack> {
  for (let i = 0; i < 120; i++) {
    const stack = (await cfn.send(new DescribeStacksCommand({ StackName: name }))).Stacks![0]!;
    if (!stack.StackStatus!.endsWith('_IN_PROGRESS')) return stack;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`stack ${name} still in progress after 60 s`);
}

async function asgInstances(asg: AutoScalingClient, name: string): Promise<string[]> {
  const groups = await asg.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [name] }));
  return (groups.AutoScalingGroups?.[0]?.Instances ?? []).map((i) => i.InstanceId!);
}

/** Bundle parameters as create passes them after uploading. */
const BUNDLE = {
  BundleBucket: 'tugboat-templates-123456789012-us-east-1',
  BundleSha256: 'ab'.repeat(32),
  BundleFile: 'tugboat-host-0123456789abcdef.mjs',
};

describe.each(['minimal', 'three-az', 'existing-vpc', 'route53-eip', 'ha-masters'] as const)(
  'examples/%s.yaml on moto_server',
  (name) => {
    let spec: ClusterSpec;
    let stack: Stack;
    const output = (key: string) => stack.Outputs?.find((o) => o.OutputKey === key)?.OutputValue;

    beforeAll(async () => {
      spec = loadExample(name, await prerequisites(name));
      const cfn = new CloudFormationClient(clientConfig(spec.region));
      await cfn.send(
        new CreateStackCommand({
          StackName: stackNameOf(spec.name),
          TemplateBody: bodyIn(RENDERING[name], buildTemplate(spec, BOOT_TEMPLATE_CONTEXT)),
          Parameters: templateParameters(spec, { keyName: `tugboat-${spec.name}`, overrides: BUNDLE }),
          Capabilities: [...REQUIRED_CAPABILITIES],
        }),
      );
      stack = await settledStack(cfn, stackNameOf(spec.name));
    });

    it('reaches CREATE_COMPLETE with all outputs', () => {
      expect(stack.StackStatus).toBe('CREATE_COMPLETE');
      expect(output(OUTPUTS.clusterName)).toBe(spec.name);
      expect(output(OUTPUTS.subnetIds)?.split(',')).toHaveLength(spec.availabilityZones.length);
      if (spec.network.kind === 'existing') expect(output(OUTPUTS.vpcId)).toBe(spec.network.vpcId);
    });

    it('runs each master and each worker group at its desired count, tagged with the cluster', async () => {
      const asg = new AutoScalingClient(clientConfig(spec.region));
      const ids: string[] = [];
      for (let n = 1; n <= spec.master.count; n++) {
        const master = await asgInstances(asg, output(masterAsgOutputKey(n))!);
        expect(master, `master ${n}`).toHaveLength(1);
        ids.push(...master);
      }
      for (const group of spec.workerGroups) {
        const instances = await asgInstances(asg, output(workerAsgOutputKey(group.name))!);
        expect(instances, group.name).toHaveLength(group.desired);
        ids.push(...instances);
      }
      const ec2 = new EC2Client(clientConfig(spec.region));
      const described = await ec2.send(new DescribeInstancesCommand({ InstanceIds: ids }));
      const instances = described.Reservations!.flatMap((r) => r.Instances!);
      expect(instances).toHaveLength(ids.length);
      for (const instance of instances) {
        expect(instance.Tags).toContainEqual({ Key: 'tugboat:cluster', Value: spec.name });
        expect(spec.availabilityZones).toContain(instance.Placement!.AvailabilityZone);
      }
      // Several masters: one per zone, in the order of availabilityZones.
      if (spec.master.count > 1) {
        const zoneOf = new Map(instances.map((i) => [i.InstanceId!, i.Placement!.AvailabilityZone!]));
        expect(ids.slice(0, spec.master.count).map((id) => zoneOf.get(id))).toEqual(
          masterZones(spec.master.count, spec.availabilityZones),
        );
      }
    });

    it("gives the master its boot script with the stack's bundle values filled in", async () => {
      const asg = new AutoScalingClient(clientConfig(spec.region));
      const [master] = await asgInstances(asg, output(OUTPUTS.masterAsgName)!);
      const ec2 = new EC2Client(clientConfig(spec.region));
      const attr = await ec2.send(
        new DescribeInstanceAttributeCommand({ InstanceId: master!, Attribute: 'userData' }),
      );
      const script = Buffer.from(attr.UserData?.Value ?? '', 'base64').toString('utf8');
      expect(script.startsWith('#!/bin/sh\n')).toBe(true);
      expect(script).toContain(`sha256='${BUNDLE.BundleSha256}'`);
      expect(script).toContain(`bucket='${BUNDLE.BundleBucket}'`);
      expect(script).toContain(`region='${spec.region}'`);
      expect(script).toMatch(/^role=master$/m);
      expect(script).not.toContain('${');
    });

    it('allocates the Elastic IPs and points the API record at the master address', async () => {
      if (spec.master.eip) expect(output(OUTPUTS.masterEipAllocationId)).toMatch(/^eipalloc-/);
      else expect(output(OUTPUTS.masterEipAllocationId)).toBeUndefined();
      const pool = output(OUTPUTS.poolEipAllocationIds)?.split(',') ?? [];
      expect(pool).toHaveLength(spec.eipPool.size);
      const dns = spec.api.dns;
      if (!dns) return;
      const route53 = new Route53Client(clientConfig('us-east-1'));
      const records = await route53.send(
        new ListResourceRecordSetsCommand({ HostedZoneId: dns.hostedZoneId }),
      );
      const record = records.ResourceRecordSets!.find(
        (r) => r.Type === 'A' && r.Name === `${dns.recordName}.`,
      );
      const values = record?.ResourceRecords?.map((r) => r.Value) ?? [];
      // One A value per master, each a distinct master Elastic IP, the first one the output's.
      expect(values).toHaveLength(spec.master.count);
      expect(new Set(values).size).toBe(spec.master.count);
      expect(values[0]).toBe(output(OUTPUTS.masterEipAddress));
    });
  },
);
