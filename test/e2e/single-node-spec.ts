import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import { exampleText } from '../support/examples.js';

/**
 * examples/single-node.yaml as the emulator needs it, named `cluster` and written into `dir`:
 * private addresses inside the test's VPC, any AMI id, no EIP. Returns the file.
 */
export function writeSingleNodeSpec(dir: string, cluster: string): string {
  const doc = parseDocument(exampleText('single-node'));
  doc.set('name', cluster);
  doc.setIn(['network', 'vpcCidr'], '10.0.0.0/16');
  doc.setIn(['ssh', 'allowedCidrs'], ['10.0.0.0/16']);
  doc.setIn(['ssh', 'address'], 'private');
  doc.setIn(['master', 'ami'], 'ami-12c6146b');
  doc.setIn(['master', 'eip'], false);
  const file = join(dir, `${cluster}.yaml`);
  writeFileSync(file, doc.toString());
  return file;
}
