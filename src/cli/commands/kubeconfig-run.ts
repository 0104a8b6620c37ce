import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { clusterStateDir, UsageError } from '../../index.js';
import { type CliIO, cliStateRoot, type GlobalOptions } from '../support/context.js';
import { addToUserKubeconfig } from '../support/kubeconfig-flags.js';
import { printResult } from '../support/output.js';
import type { KubeconfigCommandFlags } from './kubeconfig.js';

/** `tugboat kubeconfig NAME`: reads `~/.tugboat/NAME/kubeconfig` (written by bootstrap) and merges it. */
export async function runKubeconfig(
  io: CliIO,
  globals: GlobalOptions,
  name: string,
  flags: KubeconfigCommandFlags,
): Promise<number> {
  const source = join(clusterStateDir(name, cliStateRoot(io)), 'kubeconfig');
  if (!existsSync(source)) {
    throw new UsageError(
      `no kubeconfig for cluster "${name}" at ${source}: run tugboat bootstrap for it first`,
    );
  }
  const text = readFileSync(source, 'utf8');
  if (flags.print) {
    io.stdout(text);
    return 0;
  }
  const added = await addToUserKubeconfig(io, flags, text);
  printResult(
    io,
    globals,
    { cluster: name, kubeconfig: added.file, context: added.context, current: added.current },
    () => `context ${added.context} merged into ${added.file}${added.current ? ' and made current' : ''}`,
  );
  return 0;
}
