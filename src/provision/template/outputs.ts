import type { ClusterSpec } from '../../config/types.js';
import { apiHostName } from './dns.js';
import {
  API_PORT,
  IDS,
  masterAsgId,
  masterAsgOutputKey,
  OUTPUTS,
  poolEipId,
  workerAsgId,
  workerAsgOutputKey,
} from './names.js';
import type { NetworkRefs } from './network.js';
import { buildClusterSettings, renderClusterSettings } from './settings.js';
import { secretsKeyAlias, secretsPath } from './storage-names.js';
import { type CfnOutput, getAtt, ref } from './types.js';

/**
 * Outputs read by `tugboat create` and the inventory. Only `Ref` and `GetAtt` on
 * `AWS::EC2::EIP.AllocationId` are used: emulators drop every output when one GetAtt is unsupported.
 */
export function buildOutputs(spec: ClusterSpec, net: NetworkRefs): Record<string, CfnOutput> {
  const outputs: Record<string, CfnOutput> = {
    [OUTPUTS.clusterName]: { Description: 'tugboat cluster name', Value: spec.name },
    [OUTPUTS.vpcId]: { Description: 'VPC of the cluster', Value: net.vpcId },
    [OUTPUTS.subnetIds]: {
      Description: 'subnets of the cluster, in availabilityZones order',
      Value: { 'Fn::Join': [',', spec.availabilityZones.map((z) => net.subnetByZone.get(z))] },
    },
    [OUTPUTS.masterAsgName]: { Description: 'auto-scaling group of the master', Value: ref(IDS.masterAsg) },
    [OUTPUTS.bootstrapSettings]: {
      Description: 'what tugboat bootstrap/scale/ssh NAME need from the spec (SSH user and address, labels)',
      Value: renderClusterSettings(buildClusterSettings(spec)),
    },
    [OUTPUTS.secretsKeyId]: { Description: 'KMS key of the cluster secrets', Value: ref(IDS.secretsKey) },
    [OUTPUTS.secretsKeyAlias]: { Description: 'alias of that key', Value: secretsKeyAlias(spec.name) },
    [OUTPUTS.secretsPath]: { Description: 'SSM path of the cluster secrets', Value: secretsPath(spec.name) },
  };
  for (let n = 2; n <= spec.master.count; n++) {
    outputs[masterAsgOutputKey(n)] = {
      Description: `auto-scaling group of master ${n}`,
      Value: ref(masterAsgId(n)),
    };
  }
  for (const group of spec.workerGroups) {
    outputs[workerAsgOutputKey(group.name)] = {
      Description: `auto-scaling group of worker group ${group.name}`,
      Value: ref(workerAsgId(group.name)),
    };
  }
  if (spec.master.eip) {
    outputs[OUTPUTS.masterEipAllocationId] = {
      Description: 'allocation id of the master Elastic IP',
      Value: getAtt(IDS.masterEip, 'AllocationId'),
    };
    outputs[OUTPUTS.masterEipAddress] = { Description: 'the master Elastic IP', Value: ref(IDS.masterEip) };
  }
  if (spec.eipPool.size > 0) {
    const ids = Array.from({ length: spec.eipPool.size }, (_, i) => getAtt(poolEipId(i + 1), 'AllocationId'));
    outputs[OUTPUTS.poolEipAllocationIds] = {
      Description: 'allocation ids of the worker Elastic IP pool',
      Value: { 'Fn::Join': [',', ids] },
    };
  }
  const host = apiHostName(spec);
  if (host !== undefined) {
    outputs[OUTPUTS.apiEndpoint] = { Description: 'API server URL', Value: `https://${host}:${API_PORT}` };
  } else if (spec.master.eip) {
    outputs[OUTPUTS.apiEndpoint] = {
      Description: 'API server URL',
      Value: { 'Fn::Join': ['', ['https://', ref(IDS.masterEip), `:${API_PORT}`]] },
    };
  }
  return outputs;
}
