import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDocument } from 'yaml';

/**
 * examples/e2e.yaml as a highly available cluster for the ha e2e, named `cluster` and written into
 * `dir`: three masters (etcd, one per zone over three zones) and one worker group of one worker
 * (blue), so the run stays at four hosts. `vpcCidr` gives a second cluster of the same name in one
 * harness run addresses of its own (the harness keeps each subnet's bridge until it stops, so a
 * new subnet with the old range would clash with the old bridge's gateway). Returns the file.
 */
export function writeHaSpec(dir: string, cluster: string, vpcCidr?: string): string {
  const doc = parseDocument(readFileSync('examples/e2e.yaml', 'utf8'));
  doc.set('name', cluster);
  if (vpcCidr) doc.setIn(['network', 'vpcCidr'], vpcCidr);
  doc.set('availabilityZones', ['us-east-1a', 'us-east-1b', 'us-east-1c']);
  doc.setIn(['master', 'count'], 3);
  const groups = doc.get('workerGroups') as { items: unknown[] };
  groups.items.splice(1);
  doc.setIn(['workerGroups', 0, 'max'], 1);
  const file = join(dir, `${cluster}.yaml`);
  writeFileSync(file, doc.toString());
  return file;
}
