import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BOOT_TEMPLATE_CONTEXT } from '../../../src/boot/user-data.js';
import { ETCD_RELEASE, etcdReleaseObjectKey } from '../../../src/bootstrap/etcd-release.js';
import { NODE_RUNTIME, runtimeObjectKey } from '../../../src/bootstrap/node-runtime.js';
import { parseClusterSpec } from '../../../src/config/index.js';
import {
  AL2023_SSM_PARAMETERS,
  buildTemplate,
  type CfnResource,
  type CloudFormationTemplate,
  isArmInstanceType,
  PARAMETERS,
  renderTemplate,
  renderTemplateBody,
  TEMPLATE_BODY_LIMIT,
  templateParameters,
} from '../../../src/provision/template/index.js';
import { EXAMPLES, exampleText, loadExample } from '../../support/examples.js';

/** Resource types that accept tags, and where their tags live. */
const TAGGABLE: Record<string, (r: CfnResource) => { Key: string; Value: string }[][]> = {
  'AWS::EC2::VPC': (r) => [r.Properties.Tags as never],
  'AWS::EC2::InternetGateway': (r) => [r.Properties.Tags as never],
  'AWS::EC2::RouteTable': (r) => [r.Properties.Tags as never],
  'AWS::EC2::Subnet': (r) => [r.Properties.Tags as never],
  'AWS::EC2::SecurityGroup': (r) => [r.Properties.Tags as never],
  'AWS::EC2::EIP': (r) => [r.Properties.Tags as never],
  'AWS::IAM::Role': (r) => [r.Properties.Tags as never],
  'AWS::AutoScaling::AutoScalingGroup': (r) => [r.Properties.Tags as never],
  'AWS::EC2::LaunchTemplate': (r) => {
    const data = r.Properties.LaunchTemplateData as { TagSpecifications: { Tags: never }[] };
    const own = r.Properties.TagSpecifications as { Tags: never }[];
    return [...data.TagSpecifications, ...own].map((t) => t.Tags);
  },
};
/** Types CloudFormation cannot tag. */
const UNTAGGABLE = new Set([
  'AWS::EC2::VPCGatewayAttachment',
  'AWS::EC2::Route',
  'AWS::EC2::SubnetRouteTableAssociation',
  'AWS::EC2::SecurityGroupIngress',
  'AWS::IAM::InstanceProfile',
  'AWS::Route53::RecordSet',
  'AWS::KMS::Alias',
  // Taggable, but moto's CloudFormation fails the stack on KMS tags: create tags it via KMS.
  'AWS::KMS::Key',
]);

const resourcesOf = (t: CloudFormationTemplate, type: string) =>
  Object.entries(t.Resources).filter(([, r]) => r.Type === type);

describe.each(EXAMPLES)('template of examples/%s.yaml', (name) => {
  const spec = loadExample(name);
  const template = buildTemplate(spec, BOOT_TEMPLATE_CONTEXT);

  it('matches the golden template (review changes to it like code)', async () => {
    await expect(renderTemplate(template)).toMatchFileSnapshot(`./__snapshots__/${name}.template.json`);
  });

  it('is deterministic: same spec, same bytes (json and yaml)', () => {
    const again = buildTemplate(loadExample(name), BOOT_TEMPLATE_CONTEXT);
    expect(renderTemplate(again)).toBe(renderTemplate(template));
    expect(renderTemplate(again, 'yaml')).toBe(renderTemplate(template, 'yaml'));
  });

  it('tags every taggable resource with the cluster, role and (for workers) group', () => {
    for (const [id, resource] of Object.entries(template.Resources)) {
      if (UNTAGGABLE.has(resource.Type)) continue;
      const tagSets = TAGGABLE[resource.Type]?.(resource);
      expect(tagSets, `${id} (${resource.Type}) is neither known taggable nor untaggable`).toBeDefined();
      for (const tags of tagSets ?? []) {
        expect(tags, id).toContainEqual(
          expect.objectContaining({ Key: 'tugboat:cluster', Value: spec.name }),
        );
        expect(
          tags.map((t) => t.Key),
          id,
        ).toContain('tugboat:role');
        for (const [key, value] of Object.entries(spec.tags))
          expect(tags, id).toContainEqual(expect.objectContaining({ Key: key, Value: value }));
      }
    }
    for (const [id, asg] of resourcesOf(template, 'AWS::AutoScaling::AutoScalingGroup')) {
      const tags = asg.Properties.Tags as { Key: string; Value: string; PropagateAtLaunch: boolean }[];
      expect(
        tags.every((t) => t.PropagateAtLaunch === true),
        id,
      ).toBe(true);
      // Master groups belong to no worker group (the inventory names their group `master`).
      if (!tags.some((t) => t.Key === 'tugboat:role' && t.Value === 'master'))
        expect(
          tags.map((t) => t.Key),
          id,
        ).toContain('tugboat:group');
    }
  });

  it('requires IMDSv2 and encrypted gp3 root volumes on every launch template', () => {
    const lts = resourcesOf(template, 'AWS::EC2::LaunchTemplate');
    expect(lts).toHaveLength(1 + spec.workerGroups.length);
    for (const [, lt] of lts) {
      const data = lt.Properties.LaunchTemplateData as Record<string, never>;
      expect(data.MetadataOptions).toMatchObject({ HttpTokens: 'required', HttpPutResponseHopLimit: 1 });
      expect(data.BlockDeviceMappings).toEqual([
        expect.objectContaining({ Ebs: expect.objectContaining({ VolumeType: 'gp3', Encrypted: true }) }),
      ]);
      expect(data.KeyName).toEqual({ Ref: 'KeyName' });
    }
  });

  it('opens 0.0.0.0/0 only where the spec asks for it', () => {
    const asked = [...spec.ssh.allowedCidrs, ...spec.api.allowedCidrs];
    for (const [id, sg] of resourcesOf(template, 'AWS::EC2::SecurityGroup')) {
      for (const rule of (sg.Properties.SecurityGroupIngress ?? []) as { CidrIp: string }[]) {
        expect(asked, `${id} allows ${rule.CidrIp}`).toContain(rule.CidrIp);
      }
    }
    const open = JSON.stringify(template).includes('"CidrIp":"0.0.0.0/0"');
    expect(open).toBe(asked.includes('0.0.0.0/0'));
    for (const [, rule] of resourcesOf(template, 'AWS::EC2::SecurityGroupIngress')) {
      expect(rule.Properties.CidrIp).toBeUndefined();
      expect(rule.Properties.SourceSecurityGroupId).toBeDefined();
    }
  });

  it('lets only the master reach the agent port on workers', () => {
    const agentRules = Object.values(template.Resources).filter(
      (r) =>
        r.Type === 'AWS::EC2::SecurityGroupIngress' &&
        (r.Properties.FromPort as number) <= 10250 &&
        (r.Properties.ToPort as number) >= 10250 &&
        r.Properties.IpProtocol === 'tcp',
    );
    expect(agentRules.map((r) => r.Properties.SourceSecurityGroupId)).toEqual([
      { Ref: 'MasterSecurityGroup' },
    ]);
  });

  it('conditions address association on the cluster tag', () => {
    const [, role] = resourcesOf(template, 'AWS::IAM::Role').find(([id]) => id === 'MasterRole')!;
    const statements = (
      role.Properties.Policies as { PolicyDocument: { Statement: Record<string, unknown>[] } }[]
    )[0]!.PolicyDocument.Statement;
    const associate = statements.find((s) => (s.Action as string[]).includes('ec2:AssociateAddress'))!;
    expect(associate.Condition).toEqual({ StringEquals: { 'aws:ResourceTag/tugboat:cluster': spec.name } });
    const anywhere = statements.filter((s) => s.Resource === '*').flatMap((s) => s.Action as string[]);
    expect(anywhere.every((a) => /:(Describe)/.test(a))).toBe(true);
  });

  it('scopes every role statement that is not a describe to this cluster (tag, path or prefix)', () => {
    for (const id of ['MasterRole', 'WorkerRole']) {
      const role = template.Resources[id]!.Properties;
      const statements = (role.Policies as { PolicyDocument: { Statement: Record<string, unknown>[] } }[])[0]!
        .PolicyDocument.Statement;
      for (const s of statements) {
        if (s.Resource === '*') continue;
        const text = JSON.stringify(s.Resource);
        if (s.Condition && JSON.stringify(s.Condition).includes(spec.name)) continue;
        for (const arn of [s.Resource].flat() as { 'Fn::Sub': string }[]) {
          expect(arn['Fn::Sub'], `${id} ${s.Sid}: ${text}`).toMatch(
            new RegExp(
              `(parameter/tugboat/${spec.name}/[a-z]+(/\\*)?|/${spec.name}/[a-z]+/\\*|/${spec.name}/runtime/[0-9a-f]{128}/node-linux-(x64|arm64)-[0-9.]+\\.tgz|/${spec.name}/etcd/[0-9a-f]{64}/etcd-v[0-9.]+-linux-(amd64|arm64)\\.tar\\.gz)$`,
            ),
          );
        }
      }
    }
  });

  it('lets both roles read the pinned runtime tarballs by exact key, nothing else under runtime/', () => {
    const keys = (['x64', 'arm64'] as const).map((a) =>
      runtimeObjectKey(spec.name, NODE_RUNTIME, NODE_RUNTIME.packages[a]),
    );
    for (const id of ['MasterRole', 'WorkerRole']) {
      const statements = (
        template.Resources[id]!.Properties.Policies as {
          PolicyDocument: { Statement: { Sid: string; Action: string[]; Resource: unknown }[] };
        }[]
      )[0]!.PolicyDocument.Statement;
      const runtime = statements.find((s) => s.Sid === 'ReadTheNodeRuntime');
      expect(runtime?.Action, id).toEqual(['s3:GetObject']);
      const arns = (runtime!.Resource as { 'Fn::Sub': string }[]).map((r) => r['Fn::Sub']);
      expect(arns.map((a) => a.slice(a.indexOf('}/') + 2))).toEqual(keys);
      expect(JSON.stringify(statements).match(/\/runtime\//g)).toHaveLength(keys.length);
    }
  });

  it('lets only the master role read the pinned etcd release by exact key, and only with store etcd', () => {
    const statementsOf = (id: string) =>
      (
        template.Resources[id]!.Properties.Policies as {
          PolicyDocument: { Statement: { Sid: string; Action: string[]; Resource: unknown }[] };
        }[]
      )[0]!.PolicyDocument.Statement;
    const etcd = statementsOf('MasterRole').find((s) => s.Sid === 'ReadTheEtcdRelease');
    expect(JSON.stringify(statementsOf('WorkerRole'))).not.toContain('/etcd/');
    if (spec.store !== 'etcd' || spec.etcd.source === 'package') {
      expect(etcd).toBeUndefined();
      return;
    }
    expect(etcd?.Action).toEqual(['s3:GetObject']);
    const arns = (etcd!.Resource as { 'Fn::Sub': string }[]).map((r) => r['Fn::Sub']);
    expect(arns.map((a) => a.slice(a.indexOf('}/') + 2))).toEqual(
      (['amd64', 'arm64'] as const).map((a) => etcdReleaseObjectKey(spec.name, ETCD_RELEASE, a)),
    );
  });

  it('gives each master one instance (one master: over every subnet; several: its zone) and each worker group its zones', () => {
    const masters = resourcesOf(template, 'AWS::AutoScaling::AutoScalingGroup').filter(([, r]) =>
      (r.Properties.Tags as { Key: string; Value: string }[]).some(
        (t) => t.Key === 'tugboat:role' && t.Value === 'master',
      ),
    );
    expect(masters).toHaveLength(spec.master.count);
    for (const [, { Properties: master }] of masters) {
      expect([master.MinSize, master.MaxSize, master.DesiredCapacity]).toEqual(['1', '1', '1']);
      expect(master.VPCZoneIdentifier).toHaveLength(
        spec.master.count === 1 ? spec.availabilityZones.length : 1,
      );
    }
    for (const group of spec.workerGroups) {
      const [, asg] = resourcesOf(template, 'AWS::AutoScaling::AutoScalingGroup').find(([, r]) =>
        (r.Properties.Tags as { Key: string; Value: string }[]).some(
          (t) => t.Key === 'tugboat:group' && t.Value === group.name,
        ),
      )!;
      expect(asg.Properties).toMatchObject({
        MinSize: String(group.min),
        MaxSize: String(group.max),
        DesiredCapacity: String(group.desired),
      });
      expect(asg.Properties.VPCZoneIdentifier).toHaveLength(group.zones.length);
    }
  });

  it('has an explicit value for every parameter', () => {
    const values = templateParameters(spec, { keyName: 'tugboat-test' });
    expect(values.map((v) => v.ParameterKey).sort()).toEqual(Object.keys(template.Parameters).sort());
    // The bundle's are filled in by create/update once they have uploaded it (empty: no self-boot).
    const bundle: string[] = [PARAMETERS.bundleBucket, PARAMETERS.bundleSha256, PARAMETERS.bundleFile];
    const rest = values.filter((v) => !bundle.includes(v.ParameterKey));
    expect(rest.every((v) => v.ParameterValue !== '')).toBe(true);
    expect(values.filter((v) => bundle.includes(v.ParameterKey)).map((v) => v.ParameterValue)).toEqual([
      '',
      '',
      '',
    ]);
    expect(values).toContainEqual({ ParameterKey: 'KeyName', ParameterValue: 'tugboat-test' });
  });

  it('uses only Ref and EIP AllocationId GetAtts in outputs', () => {
    const getAtts =
      JSON.stringify(template.Outputs).match(/"Fn::GetAtt":\["[A-Za-z0-9]+","[A-Za-z]+"\]/g) ?? [];
    for (const g of getAtts) expect(g).toMatch(/Eip\d*","AllocationId"/);
  });
});

describe('template specifics', () => {
  it('creates no network for an existing VPC and uses its subnet ids', () => {
    const t = buildTemplate(loadExample('existing-vpc'));
    expect(resourcesOf(t, 'AWS::EC2::VPC')).toHaveLength(0);
    expect(resourcesOf(t, 'AWS::EC2::Subnet')).toHaveLength(0);
    expect(t.Resources.MasterAutoScalingGroup!.Properties.VPCZoneIdentifier).toEqual([
      'subnet-0aaaaaaaaaaaaaaa1',
      'subnet-0bbbbbbbbbbbbbbb2',
    ]);
    expect(t.Resources.NodeSecurityGroup!.Properties.VpcId).toBe('vpc-0123456789abcdef0');
  });

  it('points the API record at the master Elastic IP and tags the pool', () => {
    const t = buildTemplate(loadExample('route53-eip'));
    expect(t.Resources.ApiDnsRecord!.Properties).toMatchObject({
      Type: 'A',
      ResourceRecords: [{ Ref: 'MasterEip' }],
      Name: 'api.route53-eip.example.com.',
    });
    // The ownership marker the delete sweep looks for, on the same name (A and TXT may share one).
    expect(t.Resources.ApiDnsOwnerRecord!.Properties).toEqual({
      HostedZoneId: 'Z0123456789ABCDEFGHIJ',
      Name: 'api.route53-eip.example.com.',
      Type: 'TXT',
      TTL: '60',
      ResourceRecords: ['"tugboat:cluster=route53-eip"'],
    });
    const eips = resourcesOf(t, 'AWS::EC2::EIP');
    expect(eips.map(([id]) => id)).toEqual(['MasterEip', 'PoolEip1', 'PoolEip2', 'PoolEip3']);
    for (const [id, eip] of eips) {
      expect(eip.Properties.Tags).toContainEqual({
        Key: 'tugboat:pool',
        Value: id === 'MasterEip' ? 'master' : 'workers',
      });
    }
    expect(t.Outputs.ApiEndpoint!.Value).toBe('https://api.route53-eip.example.com:6443');
  });

  it('pins three masters to three zones, each with its own Elastic IP in the API record', () => {
    const t = buildTemplate(loadExample('ha-masters'));
    const subnets = ['MasterAutoScalingGroup', 'MasterAutoScalingGroup2', 'MasterAutoScalingGroup3'].map(
      (id) => t.Resources[id]!.Properties.VPCZoneIdentifier,
    );
    expect(subnets).toEqual([
      [{ Ref: 'SubnetUsWest2a' }],
      [{ Ref: 'SubnetUsWest2b' }],
      [{ Ref: 'SubnetUsWest2c' }],
    ]);
    // Each group and its instances say which master they are: the inventory read back from AWS
    // (groupNameOf) tells them apart by this tag, so bootstrap sees three masters.
    const groupTags = ['MasterAutoScalingGroup', 'MasterAutoScalingGroup2', 'MasterAutoScalingGroup3'].map(
      (id) =>
        (
          t.Resources[id]!.Properties.Tags as { Key: string; Value: string; PropagateAtLaunch: boolean }[]
        ).find((tag) => tag.Key === 'tugboat:group'),
    );
    expect(groupTags).toEqual(
      ['master-1', 'master-2', 'master-3'].map((Value) => ({
        Key: 'tugboat:group',
        Value,
        PropagateAtLaunch: true,
      })),
    );
    // One launch template for every master: the zone comes from the group's subnet.
    expect(resourcesOf(t, 'AWS::EC2::LaunchTemplate').map(([id]) => id)).toEqual([
      'MasterLaunchTemplate',
      'WorkerGroupWorkersLaunchTemplate',
    ]);
    const eips = resourcesOf(t, 'AWS::EC2::EIP');
    expect(eips.map(([id]) => id)).toEqual(['MasterEip', 'MasterEip2', 'MasterEip3']);
    for (const [, eip] of eips)
      expect(eip.Properties.Tags).toContainEqual({ Key: 'tugboat:pool', Value: 'master' });
    expect(t.Resources.ApiDnsRecord!.Properties.ResourceRecords).toEqual([
      { Ref: 'MasterEip' },
      { Ref: 'MasterEip2' },
      { Ref: 'MasterEip3' },
    ]);
    expect(Object.keys(t.Outputs)).toEqual(
      expect.arrayContaining([
        'MasterAutoScalingGroupName',
        'MasterAutoScalingGroupName2',
        'MasterAutoScalingGroupName3',
      ]),
    );
  });

  it('opens etcd (2379, 2380) between the masters only, and to nobody without store etcd', () => {
    const ingress = (t: CloudFormationTemplate) =>
      resourcesOf(t, 'AWS::EC2::SecurityGroupIngress').map(([, r]) => r.Properties);
    const covers = (r: Record<string, unknown>, port: number) =>
      r.IpProtocol === 'tcp' && (r.FromPort as number) <= port && port <= (r.ToPort as number);
    const ha = ingress(buildTemplate(loadExample('ha-masters')));
    for (const port of [2379, 2380]) {
      const open = ha.filter((r) => covers(r, port));
      expect(open, `port ${port}`).toEqual([
        expect.objectContaining({
          GroupId: { Ref: 'MasterSecurityGroup' },
          SourceSecurityGroupId: { Ref: 'MasterSecurityGroup' },
          FromPort: port,
          ToPort: port,
        }),
      ]);
    }
    // Every other node-to-node port below the agent port stays open.
    for (const port of [22, 53, 2378, 2381, 6443, 10249])
      expect(
        ha.some(
          (r) => covers(r, port) && (r.SourceSecurityGroupId as { Ref: string }).Ref === 'NodeSecurityGroup',
        ),
        `port ${port}`,
      ).toBe(true);
    // One master on the embedded store renders as before: one rule below the agent port.
    const minimal = buildTemplate(loadExample('minimal'));
    expect(minimal.Resources.NodeIngressTcpBelowAgent!.Properties).toMatchObject({
      FromPort: 0,
      ToPort: 10249,
    });
    expect(minimal.Resources.MasterIngressEtcdClient).toBeUndefined();
  });

  it('grants workers their secrets and bundles, a put of their boot failure, and EC2 calls only when a group uses Elastic IPs', () => {
    const actions = (example: Parameters<typeof loadExample>[0]) =>
      (
        buildTemplate(loadExample(example)).Resources.WorkerRole!.Properties.Policies as {
          PolicyDocument: { Statement: { Action: string[] }[] };
        }[]
      )[0]!.PolicyDocument.Statement.flatMap((s) => s.Action);
    expect(actions('minimal')).toEqual([
      'ssm:GetParameter',
      'ssm:GetParameters',
      'ssm:GetParametersByPath',
      // Names and key ids only: a secret read checks the parameter is under the cluster's key.
      'ssm:DescribeParameters',
      's3:GetObject',
      's3:PutObject',
    ]);
    const worker = buildTemplate(loadExample('minimal')).Resources.WorkerRole!.Properties.Policies as {
      PolicyDocument: { Statement: { Sid: string; Resource: unknown }[] };
    }[];
    expect(worker[0]!.PolicyDocument.Statement.find((s) => s.Sid === 'ReportBootFailure')?.Resource).toEqual([
      { 'Fn::Sub': expect.stringMatching(/:s3:::tugboat-templates-.*\/minimal\/boot\/\*$/) },
    ]);
    expect(actions('route53-eip')).toContain('ec2:AssociateAddress');
  });

  it('creates the secrets key: account administers it, each role uses it only through SSM on its paths', () => {
    const t = buildTemplate(loadExample('minimal'));
    const key = t.Resources.SecretsKey!.Properties as {
      PendingWindowInDays: number;
      EnableKeyRotation: boolean;
      KeyPolicy: { 'Fn::Sub': [string, Record<string, unknown>] };
    };
    expect(key.PendingWindowInDays).toBe(7);
    expect(key.EnableKeyRotation).toBe(true);
    const [text, vars] = key.KeyPolicy['Fn::Sub'];
    expect(vars).toEqual({
      MasterRoleArn: { 'Fn::GetAtt': ['MasterRole', 'Arn'] },
      WorkerRoleArn: { 'Fn::GetAtt': ['WorkerRole', 'Arn'] },
    });
    const policy = JSON.parse(text) as {
      Statement: { Sid: string; Principal: unknown; Action: unknown; Condition?: unknown }[];
    };
    const bySid = Object.fromEntries(policy.Statement.map((s) => [s.Sid, s]));
    expect(bySid.AccountAdministersTheKey!.Principal).toEqual({
      // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation placeholders.
      AWS: 'arn:${AWS::Partition}:iam::${AWS::AccountId}:root',
    });
    const workers = bySid.WorkersReadTheirSecrets!;
    // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation placeholders.
    expect(workers.Principal).toEqual({ AWS: '${WorkerRoleArn}' });
    expect(workers.Action).toEqual(['kms:Decrypt']);
    expect(JSON.stringify(workers.Condition)).toContain('parameter/tugboat/minimal/worker/*');
    expect(JSON.stringify(workers.Condition)).not.toContain('/master');
    expect(JSON.stringify(bySid.MasterCreatesTheAdminCredential!.Action)).not.toContain('Decrypt');
    for (const s of policy.Statement.slice(1)) {
      expect(JSON.stringify(s.Condition)).toContain('kms:ViaService');
    }
    expect(t.Resources.SecretsKeyAlias!.Properties.AliasName).toBe('alias/tugboat-minimal');
    expect(t.Outputs.SecretsKeyId!.Value).toEqual({ Ref: 'SecretsKey' });
    expect(t.Outputs.SecretsPath!.Value).toBe('/tugboat/minimal/');
  });

  it('takes the AMI from master.ami instead of SSM when given', () => {
    const spec = parseClusterSpec(
      exampleText('minimal').replace('workerGroups:', 'master:\n  ami: ami-0123456789abcdef0\nworkerGroups:'),
    );
    const t = buildTemplate(spec);
    expect(t.Parameters.Ami).toEqual(
      expect.objectContaining({ Type: 'AWS::EC2::Image::Id', Default: 'ami-0123456789abcdef0' }),
    );
    expect(t.Parameters.AmiX86).toBeUndefined();
  });

  it('adds the arm64 AMI parameter only for Graviton groups', () => {
    const t = buildTemplate(loadExample('three-az'));
    expect(t.Parameters.AmiArm64?.Default).toBe(AL2023_SSM_PARAMETERS.arm64);
    expect(t.Parameters.AmiX86?.Default).toBe(AL2023_SSM_PARAMETERS.x86);
    expect(buildTemplate(loadExample('minimal')).Parameters.AmiArm64).toBeUndefined();
    expect(['t4g.medium', 'm7g.large', 'c7gn.xlarge', 'x2gd.large'].every(isArmInstanceType)).toBe(true);
    expect(
      ['t3.medium', 'g5.xlarge', 'g4dn.xlarge', 'm7i.large', 'p5.48xlarge'].some(isArmInstanceType),
    ).toBe(false);
  });
});

describe('renderTemplate', () => {
  it('quotes strings a YAML 1.1 reader (CloudFormation) would turn into booleans or dates', () => {
    const spec = parseClusterSpec(
      exampleText('minimal').replace(
        'workerGroups:',
        'tags:\n  backup: "on"\n  reviewed: "yes"\nworkerGroups:',
      ),
    );
    const yaml = renderTemplate(buildTemplate(spec), 'yaml');
    expect(yaml).toContain('AWSTemplateFormatVersion: "2010-09-09"');
    expect(yaml).toContain('Value: "on"');
    expect(yaml).toContain('Value: "yes"');
  });

  it('keeps examples/ and the example list in step', () => {
    const files = readdirSync(new URL('../../../examples/', import.meta.url)).filter((f) =>
      f.endsWith('.yaml'),
    );
    expect(files.map((f) => f.replace(/\.yaml$/, '')).sort()).toEqual([...EXAMPLES].sort());
  });
});

describe('renderTemplateBody', () => {
  it('is compact JSON of the same template and says whether it fits inline', () => {
    const template = buildTemplate(loadExample('three-az'));
    const { body, fitsInline } = renderTemplateBody(template);
    expect(JSON.parse(body)).toEqual(template);
    expect(body.length).toBeLessThan(renderTemplate(template).length);
    expect(fitsInline).toBe(body.length <= TEMPLATE_BODY_LIMIT);
    expect(fitsInline).toBe(true);
  });

  it('flags a template too large for TemplateBody', () => {
    const groups = Array.from({ length: 30 }, (_, i) => ({ name: `group-${i}` }));
    const spec = parseClusterSpec(
      JSON.stringify({
        ...JSON.parse(JSON.stringify(loadExample('minimal'))),
        network: {},
        api: {},
        workerGroups: groups,
      }),
    );
    expect(renderTemplateBody(buildTemplate(spec)).fitsInline).toBe(false);
  });
});
