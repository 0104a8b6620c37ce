import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { clusterStateDir, fetchAdminKubeconfig } from '../../index.js';
import { withAwsSession } from '../support/aws-session.js';
import { type CliIO, cliStateRoot, type GlobalOptions } from '../support/context.js';
import { addToUserKubeconfig } from '../support/kubeconfig-flags.js';
import { printResult, renderData } from '../support/output.js';
import type { KubeconfigCommandFlags } from './kubeconfig.js';

/**
 * `tugboat kubeconfig NAME`: reads `~/.tugboat/NAME/kubeconfig` (written by bootstrap) and merges
 * it; with `--from-aws`, or when there is no such file, fetches the admin credential from the
 * cluster's SecureString instead (the "no client" rollout, or another machine).
 */
export async function runKubeconfig(
  io: CliIO,
  globals: GlobalOptions,
  name: string,
  flags: KubeconfigCommandFlags,
): Promise<number> {
  const source = join(clusterStateDir(name, cliStateRoot(io)), 'kubeconfig');
  const text =
    flags.fromAws || !existsSync(source)
      ? await withAwsSession(io, globals, flags, undefined, (s) =>
          fetchAdminKubeconfig({ aws: s.aws, cluster: name }),
        )
      : readFileSync(source, 'utf8');
  if (flags.print) {
    // As `kubectl config view --raw -o json|yaml`: the kubeconfig itself in that format.
    io.stdout(globals.output === 'json' ? renderData('json', parse(text)) : text);
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
