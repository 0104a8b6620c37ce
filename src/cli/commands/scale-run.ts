import { scaleGroup } from '../../index.js';
import type { AwsFlags } from '../support/aws-flags.js';
import { withAwsSession } from '../support/aws-session.js';
import type { CliIO, GlobalOptions } from '../support/context.js';
import { cliStateRoot } from '../support/context.js';
import { renderGroups } from '../support/format-cluster.js';
import { addToUserKubeconfig, type KubeconfigFlags } from '../support/kubeconfig-flags.js';
import { printResult } from '../support/output.js';

/** Flags of scale. */
export interface ScaleFlags extends AwsFlags, KubeconfigFlags {
  readonly group: string;
  readonly desired: string;
  readonly wait?: boolean;
  readonly bootstrap?: boolean;
  readonly trustNewHosts?: boolean;
  readonly bundle?: string;
}

/** `tugboat scale NAME --group G --desired N`. */
export async function runScale(
  io: CliIO,
  globals: GlobalOptions,
  name: string,
  flags: ScaleFlags,
): Promise<number> {
  const desired = Number(flags.desired);
  const wait = flags.wait !== false;
  const { bootstrapOption, bootstrappedHosts } = await import('./lifecycle-run.js');
  const bootstrap = wait ? bootstrapOption(io, flags) : false;
  const result = await withAwsSession(io, globals, flags, undefined, async (s) => {
    const { bootstrap: done, ...scaled } = await scaleGroup({
      ...s,
      cluster: name,
      group: flags.group,
      desired,
      wait,
      stateRoot: cliStateRoot(io),
      bootstrap,
    });
    // New credentials for an existing context; which context is current stays the user's choice.
    if (done) await addToUserKubeconfig(io, flags, done.kubeconfig, false);
    return { ...scaled, bootstrapped: bootstrappedHosts(done) };
  });
  printResult(io, globals, result, () =>
    [
      `${result.group}: desired ${result.previous} → ${result.desired}`,
      ...(result.groupStatus ? ['', renderGroups([result.groupStatus])] : []),
    ].join('\n'),
  );
  return 0;
}
