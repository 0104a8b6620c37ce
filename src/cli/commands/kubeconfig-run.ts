import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { clusterStateDir, defaultKubeconfigPath, mergeKubeconfigFile, UsageError } from '../../index.js';
import { type CliIO, cliStateRoot, type GlobalOptions, printResult } from '../support/context.js';
import type { KubeconfigFlags } from './kubeconfig.js';

/** `tugboat kubeconfig NAME`: reads `~/.tugboat/NAME/kubeconfig` (written by bootstrap) and merges it. */
export async function runKubeconfig(
  io: CliIO,
  globals: GlobalOptions,
  name: string,
  flags: KubeconfigFlags,
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
  const target = flags.kubeconfig
    ? resolve(io.cwd, flags.kubeconfig)
    : defaultKubeconfigPath(io.env, io.env.HOME || homedir());
  mergeKubeconfigFile(target, text);
  printResult(
    io,
    globals,
    { cluster: name, kubeconfig: target, context: name },
    () => `context ${name} merged into ${target} and made current`,
  );
  return 0;
}
