import { addKubeconfigFlags, type KubeconfigFlags } from '../support/kubeconfig-flags.js';
import type { CommandModule } from './registry.js';

/** Flags of `tugboat kubeconfig`. */
export interface KubeconfigCommandFlags extends KubeconfigFlags {
  readonly print?: boolean;
}

/** `tugboat kubeconfig NAME`: merge the cluster's admin context into kubectl's kubeconfig again. */
export const kubeconfigCommand: CommandModule = {
  define(program, run) {
    const cmd = program
      .command('kubeconfig')
      .description("merge a bootstrapped cluster's admin context into your kubeconfig (or print it)")
      .argument('<name>', 'cluster name')
      .option('--print', 'print the cluster kubeconfig (it holds a private key) instead of merging', false);
    addKubeconfigFlags(cmd, { switchContext: true });
    cmd.action(
      run(async (io, globals) => {
        const { runKubeconfig } = await import('./kubeconfig-run.js');
        return runKubeconfig(io, globals, cmd.args[0] ?? '', cmd.opts<KubeconfigCommandFlags>());
      }),
    );
  },
};
