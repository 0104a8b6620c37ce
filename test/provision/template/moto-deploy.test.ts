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
  DescribeInstancesCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import {
  CreateHostedZoneCommand,
  ListResourceRecordSetsCommand,
  Route53Client,
} from '@aws-sdk/client-route-53';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClusterSpec } from '../../../src/config/index.js';
import { stackNameOf } from '../../../src/naming.js';
import {
  buildTemplate,
  type CloudFormationTemplate,
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
  if (name === 'route53-eip') {
    const route53 = new Route53Client(clientConfig('us-east-1'));
    const zone = await route53.send(
      new CreateHostedZoneCommand({
        Name: 'route53-eip.example.com',
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

describe.each(['minimal', 'three-az', 'existing-vpc', 'route53-eip'] as const)(
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
          TemplateBody: bodyIn(RENDERING[name], buildTemplate(spec)),
          Parameters: templateParameters(spec, { keyName: `tugboat-${spec.name}` }),
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

    it('runs one master and each worker group at its desired count, tagged with the cluster', async () => {
      const asg = new AutoScalingClient(clientConfig(spec.region));
      const master = await asgInstances(asg, output(OUTPUTS.masterAsgName)!);
      expect(master).toHaveLength(1);
      const ids = [...master];
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
      expect(record?.ResourceRecords).toEqual([{ Value: output(OUTPUTS.masterEipAddress) }]);
    });
  },
);
