import { assignEips, listEips } from '../../index.js';
import type { AwsFlags } from '../support/aws-flags.js';
import { withAwsSession } from '../support/aws-session.js';
import type { CliIO, GlobalOptions } from '../support/context.js';
import { renderEips } from '../support/format-cluster.js';
import { printResult } from '../support/output.js';

/** `tugboat eip list NAME`. */
export async function runEipList(
  io: CliIO,
  globals: GlobalOptions,
  name: string,
  flags: AwsFlags,
): Promise<number> {
  const eips = await withAwsSession(io, globals, flags, undefined, (s) => listEips({ ...s, cluster: name }));
  printResult(io, globals, { cluster: name, eips }, () => renderEips(eips));
  return 0;
}

/** Flags of eip assign. */
export interface EipAssignFlags extends AwsFlags {
  readonly group?: string;
  readonly instance?: string;
}

/** `tugboat eip assign NAME [--group G | --instance ID]`. */
export async function runEipAssign(
  io: CliIO,
  globals: GlobalOptions,
  name: string,
  flags: EipAssignFlags,
): Promise<number> {
  const result = await withAwsSession(io, globals, flags, undefined, (s) =>
    assignEips({
      ...s,
      cluster: name,
      ...(flags.group ? { group: flags.group } : {}),
      ...(flags.instance ? { instanceId: flags.instance } : {}),
    }),
  );
  printResult(io, globals, result, () =>
    [
      ...result.assigned.map((a) => `${a.publicIp} → ${a.instanceId}`),
      `${result.assigned.length} assigned, ${result.alreadyAssigned.length} already had one`,
    ].join('\n'),
  );
  return 0;
}
