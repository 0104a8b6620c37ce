import { type AwsFlags, addAwsFlags } from '../support/aws-flags.js';
import { addKubeconfigFlags } from '../support/kubeconfig-flags.js';
import { addTimeoutFlag } from '../support/timeout.js';
import type { CommandModule } from './registry.js';

/** Flags of `tugboat bootstrap` and `tugboat uninstall`. */
export interface InventoryFlags extends AwsFlags {
  readonly inventory?: string;
  /** Spec file: SSH user/address and labels instead of the stack's BootstrapSettings output. */
  readonly file?: string;
  readonly trustNewHosts?: boolean;
  readonly yes?: boolean;
  readonly force?: boolean;
  readonly concurrency?: string;
  readonly bundle?: string;
  readonly kubeconfig?: string;
  /** `--no-pod-network` sets false. */
  readonly podNetwork?: boolean;
  /** `--no-service-proxy` sets false. */
  readonly serviceProxy?: boolean;
  readonly switchContext?: boolean;
  /** `uninstall --keep-data`. */
  readonly keepData?: boolean;
}

/** `tugboat bootstrap NAME` or `tugboat bootstrap --inventory hosts.yaml`: install the control plane and agents over SSH. */
export const bootstrapCommand: CommandModule = {
  define(program, run) {
    const cmd = addAwsFlags(
      program
        .command('bootstrap')
        .description(
          "install the control plane and node agents over SSH: on a cluster's instances (NAME) or on the hosts of an inventory file",
        )
        .argument('[name]', 'cluster name: hosts from its stack (bootstraps what is not Ready yet)')
        .option(
          '--inventory <file>',
          'hosts.yaml: cluster, SSH key, runtime, and each host (address, user, role)',
        )
        .option(
          '-f, --file <path>',
          'with NAME: take SSH user/address and labels from this spec, not the stack',
        )
        .option(
          '--force',
          'reinstall even where the host already has this bundle and configuration (upload, rewrite, restart)',
          false,
        )
        .option(
          '--trust-new-hosts',
          'record the host key of hosts never seen before (trust on first use)',
          false,
        )
        .option('-y, --yes', 'merge the cluster into your kubeconfig without asking', false)
        .option('--concurrency <n>', 'workers bootstrapped at the same time', '10')
        .option('--bundle <file>', 'host bundle to upload (default: the one `npm run build` made)')
        .option(
          '--no-pod-network',
          "docker agents keep Docker's default bridge: no pod network, no cluster DNS",
        )
        .option('--no-service-proxy', "agents do not program Services into the hosts' iptables"),
    );
    addKubeconfigFlags(cmd, { switchContext: true });
    addTimeoutFlag(cmd);
    cmd.action(
      run(async (io, globals) => {
        const { runBootstrap } = await import('./bootstrap-run.js');
        return runBootstrap(io, globals, cmd.args[0], cmd.opts<InventoryFlags>());
      }),
    );
  },
};

/** `tugboat uninstall NAME` or `tugboat uninstall --inventory hosts.yaml`: remove services and files from every host. */
export const uninstallCommand: CommandModule = {
  define(program, run) {
    const cmd = addAwsFlags(
      program
        .command('uninstall')
        .description(
          "remove tugboat (services, processes, /opt /etc /var/lib /var/log /run tugboat) from a cluster's instances or inventory hosts",
        )
        .argument('[name]', 'cluster name: every running instance of its stack')
        .option('--inventory <file>', 'hosts.yaml of the hosts to clean')
        .option('-f, --file <path>', 'with NAME: take SSH user/address from this spec, not the stack')
        .option('--trust-new-hosts', 'record the host key of hosts never seen before', false)
        .option('-y, --yes', 'do not ask before removing (required without a terminal)', false)
        .option('--concurrency <n>', 'hosts cleaned at the same time', '10')
        .option(
          '--keep-data',
          "keep the local-path volumes' data (/var/lib/tugboat/agent/volumes); everything else goes",
          false,
        ),
    );
    addKubeconfigFlags(cmd, { switchContext: false });
    cmd.action(
      run(async (io, globals) => {
        const { runUninstall } = await import('./bootstrap-run.js');
        return runUninstall(io, globals, cmd.args[0], cmd.opts<InventoryFlags>());
      }),
    );
  },
};
