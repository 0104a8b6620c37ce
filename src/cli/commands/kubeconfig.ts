import { type AwsFlags, addAwsFlags } from '../support/aws-flags.js';
import { addKubeconfigFlags, type KubeconfigFlags } from '../support/kubeconfig-flags.js';
import type { CommandModule } from './registry.js';

/** Flags of `tugboat kubeconfig`. */
export interface KubeconfigCommandFlags extends KubeconfigFlags, AwsFlags {
  readonly print?: boolean;
  readonly fromAws?: boolean;
}

/** `tugboat kubeconfig NAME`: merge the cluster's admin context into kubectl's kubeconfig again. */
export const kubeconfigCommand: CommandModule = {
  define(program, run) {
    const cmd = addAwsFlags(
      program
        .command('kubeconfig')
        .description("merge a bootstrapped cluster's admin context into your kubeconfig (or print it)")
        .argument('<name>', 'cluster name')
        .option('--print', 'print the cluster kubeconfig (it holds a private key) instead of merging', false)
        .option(
          '--from-aws',
          "fetch the admin credential from the cluster's SSM SecureString (the default when this machine has no local kubeconfig for it)",
          false,
        ),
    );
    addKubeconfigFlags(cmd, { switchContext: true });
    cmd.action(
      run(async (io, globals) => {
        const { runKubeconfig } = await import('./kubeconfig-run.js');
        return runKubeconfig(io, globals, cmd.args[0] ?? '', cmd.opts<KubeconfigCommandFlags>());
      }),
    );
  },
};
