import { masterZones } from '../../config/masters.js';
import type { ClusterSpec } from '../../config/types.js';
import { buildBootArgs } from './boot-args.js';
import { IDS, masterAsgId, PARAMETERS, TAG_KEYS, workerAsgId, workerLaunchTemplateId } from './names.js';
import type { NetworkRefs } from './network.js';
import { imageParameterFor } from './parameters.js';
import { buildAsgTags, buildTags, type TagScope } from './tags.js';
import { type BootScriptInput, type CfnResource, getAtt, ref, type TemplateContext } from './types.js';

interface LaunchTemplateInput {
  readonly instanceType: string;
  readonly volumeSize: number;
  readonly instanceProfile: string;
  readonly securityGroups: readonly string[];
  readonly scope: TagScope;
  readonly userData?: string;
}

/** IMDSv2 only (hop limit 1 keeps containers away from instance credentials), encrypted gp3 root. */
function launchTemplate(spec: ClusterSpec, input: LaunchTemplateInput): CfnResource {
  return {
    Type: 'AWS::EC2::LaunchTemplate',
    Properties: {
      LaunchTemplateData: {
        ImageId: ref(imageParameterFor(spec, input.instanceType)),
        InstanceType: input.instanceType,
        KeyName: ref(PARAMETERS.keyName),
        IamInstanceProfile: { Arn: getAtt(input.instanceProfile, 'Arn') },
        SecurityGroupIds: input.securityGroups.map(ref),
        ...(input.userData ? { UserData: { 'Fn::Base64': { 'Fn::Sub': input.userData } } } : {}),
        MetadataOptions: { HttpEndpoint: 'enabled', HttpTokens: 'required', HttpPutResponseHopLimit: 1 },
        BlockDeviceMappings: [
          {
            DeviceName: '/dev/xvda',
            Ebs: {
              VolumeSize: input.volumeSize,
              VolumeType: 'gp3',
              Encrypted: true,
              DeleteOnTermination: true,
            },
          },
        ],
        // Instances get their tags from the auto-scaling group (PropagateAtLaunch); repeating them
        // here would only grow the template towards CloudFormation's 51,200-byte inline limit.
        TagSpecifications: [
          { ResourceType: 'volume', Tags: buildTags(spec, input.scope) },
          // AssociateAddress may be authorised against the network interface too; tagging it lets
          // the tugboat:cluster condition in the instance role match.
          { ResourceType: 'network-interface', Tags: buildTags(spec, input.scope) },
        ],
      },
      TagSpecifications: [{ ResourceType: 'launch-template', Tags: buildTags(spec, input.scope) }],
    },
  };
}

function asg(
  spec: ClusterSpec,
  net: NetworkRefs,
  lt: string,
  zones: readonly string[],
  size: { min: number; max: number; desired: number },
  scope: TagScope,
): CfnResource {
  return {
    Type: 'AWS::AutoScaling::AutoScalingGroup',
    ...(net.routeDependsOn.length > 0 ? { DependsOn: [...net.routeDependsOn] } : {}),
    Properties: {
      MinSize: String(size.min),
      MaxSize: String(size.max),
      DesiredCapacity: String(size.desired),
      LaunchTemplate: { LaunchTemplateId: ref(lt), Version: getAtt(lt, 'LatestVersionNumber') },
      VPCZoneIdentifier: zones.map((z) => net.subnetByZone.get(z)),
      HealthCheckType: 'EC2',
      Tags: buildAsgTags(spec, scope),
    },
  };
}

/** What a launch template's boot script is given: literals and the stack's bundle parameters. */
function bootScriptInput(spec: ClusterSpec, role: 'master' | 'worker', group?: string): BootScriptInput {
  return {
    cluster: spec.name,
    role,
    ...(group ? { group } : {}),
    region: { sub: 'AWS::Region' },
    bucket: { sub: PARAMETERS.bundleBucket },
    sha256: { sub: PARAMETERS.bundleSha256 },
    file: { sub: PARAMETERS.bundleFile },
    registry: { sub: PARAMETERS.nodeRegistry },
    args: buildBootArgs(spec, role, group),
  };
}

/**
 * Marks the group of a spec saying `eip: true` (`tugboat:eip=true` on its auto-scaling group), so
 * `tugboat eip assign` knows which groups want pool addresses without the spec file.
 */
function withEipTag(scope: TagScope, eip: boolean): TagScope {
  return eip ? { ...scope, extra: { ...scope.extra, [TAG_KEYS.eip]: 'true' } } : scope;
}

/**
 * The master auto-scaling groups, each min = max = desired = 1. One master: its group spans every
 * subnet (a replacement can land in any zone). Several: one group per master pinned to its zone's
 * subnet, masters spread round robin over the zones (kops' instance group per zone), so AWS
 * replaces a master in the zone it left and the spread survives replacements.
 */
function masterGroups(spec: ClusterSpec, net: NetworkRefs): Record<string, CfnResource> {
  const count = spec.master.count;
  const one = { min: 1, max: 1, desired: 1 };
  if (count === 1) {
    const scope: TagScope = { role: 'master', name: 'master' };
    return {
      [IDS.masterAsg]: asg(
        spec,
        net,
        IDS.masterLaunchTemplate,
        spec.availabilityZones,
        one,
        withEipTag(scope, spec.master.eip),
      ),
    };
  }
  const resources: Record<string, CfnResource> = {};
  masterZones(count, spec.availabilityZones).forEach((zone, i) => {
    // `tugboat:group` tells the masters' groups apart when the inventory is read back from AWS:
    // without it every master group is `master`, and bootstrap would see one master.
    const scope: TagScope = { role: 'master', group: `master-${i + 1}`, name: `master-${i + 1}` };
    resources[masterAsgId(i + 1)] = asg(
      spec,
      net,
      IDS.masterLaunchTemplate,
      [zone],
      one,
      withEipTag(scope, spec.master.eip),
    );
  });
  return resources;
}

/**
 * Launch templates and auto-scaling groups: the master groups (see {@link masterGroups}, one
 * launch template for all masters) and one group per worker group over its zones.
 */
export function buildCompute(
  spec: ClusterSpec,
  net: NetworkRefs,
  context: TemplateContext = {},
): Record<string, CfnResource> {
  const masterScope: TagScope = { role: 'master', name: 'master' };
  const userData = (role: 'master' | 'worker', group?: string) =>
    context.renderUserData?.(bootScriptInput(spec, role, group));
  const resources: Record<string, CfnResource> = {
    [IDS.masterLaunchTemplate]: launchTemplate(spec, {
      instanceType: spec.master.instanceType,
      volumeSize: spec.master.volumeSize,
      instanceProfile: IDS.masterInstanceProfile,
      securityGroups: [IDS.nodeSecurityGroup, IDS.masterSecurityGroup],
      scope: masterScope,
      userData: userData('master'),
    }),
    ...masterGroups(spec, net),
  };
  for (const group of spec.workerGroups) {
    const scope: TagScope = { role: 'worker', group: group.name, name: `worker-${group.name}` };
    const lt = workerLaunchTemplateId(group.name);
    resources[lt] = launchTemplate(spec, {
      instanceType: group.instanceType,
      volumeSize: group.volumeSize,
      instanceProfile: IDS.workerInstanceProfile,
      securityGroups: [IDS.nodeSecurityGroup, IDS.workerSecurityGroup],
      scope,
      userData: userData('worker', group.name),
    });
    resources[workerAsgId(group.name)] = asg(spec, net, lt, group.zones, group, withEipTag(scope, group.eip));
  }
  return resources;
}
