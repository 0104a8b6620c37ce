import type { ClusterSpec } from '../../config/types.js';
import { EIP_POOLS, masterEipId, poolEipId, TAG_KEYS } from './names.js';
import { buildTags } from './tags.js';
import type { CfnResource } from './types.js';

function eip(spec: ClusterSpec, pool: string, name: string, dependsOn: string | undefined): CfnResource {
  return {
    Type: 'AWS::EC2::EIP',
    ...(dependsOn ? { DependsOn: dependsOn } : {}),
    Properties: {
      Domain: 'vpc',
      Tags: buildTags(spec, { role: 'eip', name, extra: { [TAG_KEYS.pool]: pool } }),
    },
  };
}

/**
 * One Elastic IP per master (when master.eip; any master takes any free one of the `master` pool)
 * and `eipPool.size` pool addresses, all tagged
 * with the cluster and their pool. The addresses are associated at boot by tugboat (with
 * AllowReassociation=false), not by the template, because instances come from auto-scaling groups.
 */
export function buildEips(
  spec: ClusterSpec,
  gatewayAttachment: string | undefined,
): Record<string, CfnResource> {
  const resources: Record<string, CfnResource> = {};
  if (spec.master.eip) {
    for (let n = 1; n <= spec.master.count; n++) {
      const name = spec.master.count === 1 ? 'master-eip' : `master-eip-${n}`;
      resources[masterEipId(n)] = eip(spec, EIP_POOLS.master, name, gatewayAttachment);
    }
  }
  for (let n = 1; n <= spec.eipPool.size; n++) {
    resources[poolEipId(n)] = eip(spec, EIP_POOLS.workers, `pool-eip-${n}`, gatewayAttachment);
  }
  return resources;
}
