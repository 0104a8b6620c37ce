import type { ConfigIssue } from '../errors.js';
import type { ClusterSpec } from './types.js';

const WORLD = '0.0.0.0/0';

/**
 * Advice on a valid spec: choices that are allowed but usually not meant (the internet may reach
 * SSH, a single zone). `tugboat validate` prints these as warnings; they never block anything.
 */
export function adviseClusterSpec(spec: ClusterSpec): ConfigIssue[] {
  const advice: ConfigIssue[] = [];
  if (spec.ssh.allowedCidrs.includes(WORLD)) {
    advice.push({
      path: 'ssh.allowedCidrs',
      message: `${WORLD} lets the whole internet reach ssh: prefer your own address/32`,
    });
  }
  if (spec.api.allowedCidrs.includes(WORLD)) {
    advice.push({
      path: 'api.allowedCidrs',
      message: `${WORLD} lets the whole internet reach the api (client certificates still guard it): narrow it if you can`,
    });
  }
  if (spec.availabilityZones.length === 1) {
    advice.push({
      path: 'availabilityZones',
      message: 'a single zone cannot survive a zone outage: list two or three zones',
    });
  }
  const demand = spec.workerGroups.filter((g) => g.eip).reduce((n, g) => n + g.max, 0);
  if (spec.eipPool.size > demand) {
    advice.push({
      path: 'eipPool.size',
      message: `${spec.eipPool.size - demand} of ${spec.eipPool.size} pool addresses can never be used (idle Elastic IPs are billed): lower eipPool.size to ${demand}`,
    });
  }
  return advice;
}
