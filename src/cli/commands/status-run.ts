import { clusterStatus } from '../../index.js';
import type { AwsFlags } from '../support/aws-flags.js';
import { withAwsSession } from '../support/aws-session.js';
import { type CliIO, cliStateRoot, type GlobalOptions } from '../support/context.js';
import { renderStatus } from '../support/format-cluster.js';
import { printResult } from '../support/output.js';

/** `tugboat status NAME`. */
export async function runStatus(
  io: CliIO,
  globals: GlobalOptions,
  name: string,
  flags: AwsFlags,
): Promise<number> {
  const status = await withAwsSession(io, globals, flags, undefined, (s) =>
    clusterStatus({ ...s, cluster: name, controlPlane: true, stateRoot: cliStateRoot(io) }),
  );
  printResult(io, globals, status, () => renderStatus(status));
  return 0;
}
