import type { CommandModule } from './registry.js';

/** Flags of `tugboat bootstrap` and `tugboat uninstall`. */
export interface InventoryFlags {
  readonly inventory: string;
  readonly trustNewHosts?: boolean;
  readonly yes?: boolean;
  readonly concurrency?: string;
  readonly bundle?: string;
  readonly kubeconfig?: string;
  readonly force?: boolean;
}

/** `tugboat bootstrap --inventory hosts.yaml`: install the control plane and agents over SSH. */
export const bootstrapCommand: CommandModule = {
  define(program, run) {
    const cmd = program
      .command('bootstrap')
      .description('install the control plane and node agents over SSH on the hosts of an inventory file')
      .requiredOption(
        '--inventory <file>',
        'hosts.yaml: cluster, SSH key, runtime, and each host (address, user, role)',
      )
      .option(
        '--trust-new-hosts',
        'record the host key of hosts never seen before (trust on first use)',
        false,
      )
      .option('-y, --yes', 'merge the cluster into your kubeconfig without asking', false)
      .option('--concurrency <n>', 'workers bootstrapped at the same time', '10')
      .option('--bundle <file>', 'host bundle to upload (default: the one `npm run build` made)')
      .option('--kubeconfig <file>', 'kubeconfig to merge into (default: $KUBECONFIG, else ~/.kube/config)')
      .option(
        '--force',
        'reinstall even where the host already has this bundle and configuration (upload, rewrite, restart)',
        false,
      );
    cmd.action(
      run(async (io, globals) => {
        const { runBootstrap } = await import('./bootstrap-run.js');
        return runBootstrap(io, globals, cmd.opts<InventoryFlags>());
      }),
    );
  },
};

/** `tugboat uninstall --inventory hosts.yaml`: remove services and files from every host. */
export const uninstallCommand: CommandModule = {
  define(program, run) {
    const cmd = program
      .command('uninstall')
      .description(
        'remove tugboat (services, processes, /opt /etc /var/lib /var/log /run tugboat) from inventory hosts',
      )
      .requiredOption('--inventory <file>', 'hosts.yaml of the hosts to clean')
      .option('--trust-new-hosts', 'record the host key of hosts never seen before', false)
      .option('-y, --yes', 'do not ask before removing', false)
      .option('--concurrency <n>', 'hosts cleaned at the same time', '10');
    cmd.action(
      run(async (io, globals) => {
        const { runUninstall } = await import('./bootstrap-run.js');
        return runUninstall(io, globals, cmd.opts<InventoryFlags>());
      }),
    );
  },
};
