import { Option } from 'commander';
import { addKubeconfigFlags, type KubeconfigFlags } from '../support/kubeconfig-flags.js';
import type { CommandModule } from './registry.js';

/** `tugboat local up|down`: a working cluster on this machine, no AWS account needed. */
export const localCommand: CommandModule = {
  define(program, run) {
    const local = program
      .command('local')
      .description('run a cluster on this machine: a control plane and N node agents as local processes');
    const up = local
      .command('up')
      .description('start a local cluster and make it the current kubectl context (tugboat-local)')
      .option('--nodes <n>', 'number of node agents', '2')
      .addOption(
        new Option(
          '--runtime <name>',
          'how pods run: docker, process (host processes, not isolated), or auto (docker if its daemon answers)',
        )
          .choices(['auto', 'docker', 'process'])
          .default('auto'),
      )
      .option(
        '--pod-network',
        'docker runtime: pod IPs per node, Services by cluster IP and DNS name, NodePorts on 127.0.0.1 (needs root; the default when root)',
      )
      .option('--no-pod-network', "docker runtime: keep pods on Docker's default bridge")
      .addHelpText(
        'after',
        '\nState lives in ~/.tugboat/local (or $TUGBOAT_STATE_DIR/local; $TUGBOAT_HOME is a deprecated alias); the context is merged into\n' +
          "kubectl's kubeconfig (the first $KUBECONFIG file that exists, else ~/.kube/config) or --kubeconfig FILE.\n" +
          'Running it again while the cluster runs changes nothing.',
      );
    addKubeconfigFlags(up, { switchContext: true });
    up.action(
      run(async (io, globals) => {
        const { runLocalUpCommand } = await import('./local-run.js');
        return runLocalUpCommand(
          io,
          globals,
          up.opts<
            { nodes: string; runtime: 'auto' | 'docker' | 'process'; podNetwork?: boolean } & KubeconfigFlags
          >(),
        );
      }),
    );
    const down = local
      .command('down')
      .description('stop the local cluster, remove its containers, state and kubectl context')
      .option('--keep-data', 'stop the processes but keep data and certificates', false);
    down.action(
      run(async (io, globals) => {
        const { runLocalDownCommand } = await import('./local-run.js');
        return runLocalDownCommand(io, globals, down.opts<{ keepData: boolean }>());
      }),
    );
  },
};
