import { type AwsFlags, addAwsFlags } from '../support/aws-flags.js';
import type { KubeconfigFlags } from '../support/kubeconfig-flags.js';
import type { CommandModule } from './registry.js';

/** Flags of `tugboat dashboard`. */
export interface DashboardFlags extends KubeconfigFlags, AwsFlags {
  readonly local?: boolean;
  readonly context?: string;
  readonly address: string;
  readonly port: string;
  /** False with `--no-open`. */
  readonly open: boolean;
}

/** `tugboat dashboard [NAME]`: the web UI for a cluster, on this machine, with the user's credentials. */
export const dashboardCommand: CommandModule = {
  define(program, run) {
    const cmd = program
      .command('dashboard')
      .description(
        'open a web dashboard of a cluster, served from this machine with your kubeconfig credentials',
      )
      .argument('[name]', 'cluster name (its kubeconfig context); default: the current context')
      .option('--local', 'the cluster of `tugboat local up` (context tugboat-local)')
      .option('--context <name>', 'kubeconfig context to use instead of a cluster name')
      .option(
        '--address <ip>',
        'address to listen on (anything but loopback is reachable by others)',
        '127.0.0.1',
      )
      .option('--port <n>', 'port to listen on (0: a free one)', '0')
      .option('--no-open', 'print the URL without opening a browser')
      .addHelpText(
        'after',
        '\nWith NAME, the cluster view also shows its AWS side (stack, groups, instances, EIPs), read with\n' +
          'your AWS credentials every 30 s while a page is open.\n' +
          'The URL carries a one-time login token: the first browser to open it gets the session,\n' +
          'the token is then dead. Stop the dashboard with Ctrl-C.',
      );
    cmd.option(
      '--kubeconfig <file>',
      "kubeconfig to read (default: kubectl's: $KUBECONFIG's files, else ~/.kube/config)",
    );
    addAwsFlags(cmd);
    cmd.action(
      run(async (io, globals) => {
        const { runDashboardCommand } = await import('./dashboard-run.js');
        return runDashboardCommand(io, globals, cmd.args[0], cmd.opts<DashboardFlags>());
      }),
    );
  },
};
