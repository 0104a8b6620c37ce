import { homedir } from 'node:os';
import type { Command } from 'commander';
import type { CliIO } from './context.js';

/** Flags of the commands that write the user's kubeconfig. */
export interface KubeconfigFlags {
  /** `--kubeconfig FILE`: only this file. */
  readonly kubeconfig?: string;
  /** False with `--no-switch-context`. */
  readonly switchContext?: boolean;
}

const KUBECONFIG_HELP =
  "kubeconfig to write (default: kubectl's: the first $KUBECONFIG file that exists, else ~/.kube/config)";

/** Adds `--kubeconfig FILE` (and `--no-switch-context` when the command adds a context); no heavy imports. */
export function addKubeconfigFlags(cmd: Command, options: { readonly switchContext: boolean }): Command {
  cmd.option('--kubeconfig <file>', KUBECONFIG_HELP);
  if (options.switchContext) {
    cmd.option('--no-switch-context', "add the cluster's context without making it current");
  }
  return cmd;
}

/** What `removeFromUserKubeconfig` reports, for results and JSON output. */
export interface KubeconfigRemoval {
  readonly removed: boolean;
  readonly files: readonly string[];
  readonly restoredContext?: string | null;
}

/** Where the user's kubeconfig is: `--kubeconfig`, else kubectl's files from the environment. */
export function userKubeconfig(io: CliIO, flags: KubeconfigFlags) {
  return {
    env: io.env,
    home: io.env.HOME || homedir(),
    cwd: io.cwd,
    ...(flags.kubeconfig ? { explicit: flags.kubeconfig } : {}),
  };
}

/** Adds a cluster's kubeconfig to the user's (see addToKubeconfig); `switchContext` defaults to the flag. */
export async function addToUserKubeconfig(
  io: CliIO,
  flags: KubeconfigFlags,
  text: string,
  switchContext = flags.switchContext !== false,
) {
  const { addToKubeconfig } = await import('../../pki/index.js');
  return addToKubeconfig(userKubeconfig(io, flags), text, { switchContext });
}

/** Removes the cluster's context, user and cluster entries tugboat added (see removeFromKubeconfig). */
export async function removeFromUserKubeconfig(
  io: CliIO,
  flags: KubeconfigFlags,
  cluster: string,
): Promise<KubeconfigRemoval> {
  const { removeFromKubeconfig } = await import('../../pki/index.js');
  return removeFromKubeconfig(userKubeconfig(io, flags), cluster);
}

/** One line saying what a removal did, or none. */
export function renderKubeconfigRemoval(cluster: string, removal: KubeconfigRemoval): string[] {
  if (!removal.removed) return [];
  const back =
    removal.restoredContext === undefined
      ? ''
      : removal.restoredContext === null
        ? '; no current context now'
        : `; current context is ${removal.restoredContext} again`;
  return [`kubeconfig: context ${cluster} removed from ${removal.files.join(', ')}${back}`];
}
