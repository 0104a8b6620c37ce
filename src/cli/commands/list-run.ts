import { listClusters } from '../../index.js';
import type { AwsFlags } from '../support/aws-flags.js';
import { withAwsSession } from '../support/aws-session.js';
import type { CliIO, GlobalOptions } from '../support/context.js';
import { renderClusterList } from '../support/format-cluster.js';
import { printResult } from '../support/output.js';

/** `tugboat list`. */
export async function runList(io: CliIO, globals: GlobalOptions, flags: AwsFlags): Promise<number> {
  const clusters = await withAwsSession(io, globals, flags, undefined, (s) => listClusters(s));
  printResult(io, globals, { clusters }, () => renderClusterList(clusters));
  return 0;
}
