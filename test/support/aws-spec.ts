import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Options of a cluster spec written for AWS lifecycle tests. */
export interface TestSpecOptions {
  readonly name: string;
  readonly desired?: number;
  readonly max?: number;
  /** Worker groups beyond the first (each with desired 1). @default 0 */
  readonly extraGroups?: number;
  readonly eipPool?: number;
  /** Use an existing VPC with these (possibly missing) ids instead of a new one. */
  readonly existingVpc?: { readonly vpcId: string; readonly subnetIds: readonly [string, string] };
  readonly region?: string;
  /** `master.eip`. @default true (the spec's default) */
  readonly masterEip?: boolean;
}

/** Writes a small, valid cluster spec to `dir` and returns its path. */
export function writeTestSpec(dir: string, o: TestSpecOptions): string {
  const region = o.region ?? 'us-east-1';
  const zones = [`${region}a`, `${region}b`];
  const extra = Array.from(
    { length: o.extraGroups ?? 0 },
    (_, i) => `  - name: g${i + 1}\n    min: 0\n    max: 2\n    desired: 1\n`,
  ).join('');
  const network = o.existingVpc
    ? `network:\n  vpcId: ${o.existingVpc.vpcId}\n  subnets:\n    - { zone: ${zones[0]}, id: ${o.existingVpc.subnetIds[0]} }\n    - { zone: ${zones[1]}, id: ${o.existingVpc.subnetIds[1]} }\n`
    : '';
  const text = `apiVersion: tugboat.dev/v1alpha1
kind: Cluster
name: ${o.name}
region: ${region}
availabilityZones: [${zones.join(', ')}]
${network}${o.masterEip === false ? 'master:\n  eip: false\n' : ''}ssh:
  allowedCidrs: [203.0.113.10/32]
workerGroups:
  - name: workers
    min: 0
    max: ${o.max ?? 4}
    desired: ${o.desired ?? 2}
${extra}eipPool:
  size: ${o.eipPool ?? 2}
`;
  const path = join(dir, `${o.name}-${o.desired ?? 2}.yaml`);
  writeFileSync(path, text);
  return path;
}
