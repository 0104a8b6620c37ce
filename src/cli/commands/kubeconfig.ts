import type { CommandModule } from './registry.js';

/** Flags of `tugboat kubeconfig`. */
export interface KubeconfigFlags {
  readonly kubeconfig?: string;
  readonly print?: boolean;
}

/** `tugboat kubeconfig NAME`: merge the cluster's admin context into kubectl's kubeconfig again. */
export const kubeconfigCommand: CommandModule = {
  define(program, run) {
    const cmd = program
      .command('kubeconfig')
      .description("merge a bootstrapped cluster's admin context into your kubeconfig (or print it)")
      .argument('<name>', 'cluster name')
      .option('--kubeconfig <file>', 'kubeconfig to merge into (default: $KUBECONFIG, else ~/.kube/config)')
      .option('--print', 'print the cluster kubeconfig (it holds a private key) instead of merging', false);
    cmd.action(
      run(async (io, globals) => {
        const { runKubeconfig } = await import('./kubeconfig-run.js');
        return runKubeconfig(io, globals, cmd.args[0] ?? '', cmd.opts<KubeconfigFlags>());
      }),
    );
  },
};
