import { type AwsFlags, addAwsFlags } from '../support/aws-flags.js';
import { addTimeoutFlag } from '../support/timeout.js';
import type { CommandModule } from './registry.js';

/** Flags of `tugboat upgrade`. */
export interface UpgradeFlags extends AwsFlags {
  readonly inventory?: string;
  readonly file?: string;
  readonly toVersion?: string;
  readonly maxUnavailable: string;
  readonly dryRun?: boolean;
  readonly allowDowngrade?: boolean;
  readonly yes?: boolean;
  readonly bundle?: string;
  readonly trustNewHosts?: boolean;
  readonly force?: boolean;
  readonly deleteEmptydirData?: boolean;
  readonly drainTimeout?: string;
}

/** `tugboat upgrade NAME | --inventory FILE`: roll the bundle's version over the cluster, host by host. */
export const upgradeCommand: CommandModule = {
  define(program, run) {
    const cmd = addTimeoutFlag(
      addAwsFlags(
        program
          .command('upgrade')
          .description(
            'roll a new tugboat version over a cluster: each master alone (etcd and its API healthy before the next), then workers in batches (cordon, drain within PodDisruptionBudgets, reinstall, uncordon); re-run to resume',
          )
          .argument('[name]', 'cluster name: hosts from its stack')
          .option('--inventory <file>', 'hosts.yaml instead of a cluster NAME')
          .option('-f, --file <path>', 'with NAME: SSH user/address and labels from this spec, not the stack')
          .option(
            '--to-version <version>',
            "the version to roll (default: the one the bundle says it is, else this tugboat's)",
          )
          .option('--max-unavailable <n>', 'workers drained and reinstalled at once', '1')
          .option('--dry-run', 'print the plan (per host: from -> to, in order) and change nothing', false)
          .option('--allow-downgrade', 'allow a version older than a host runs (workers go first)', false)
          .option('-y, --yes', 'roll without asking', false)
          .option('--bundle <file>', 'host bundle to install (default: the one `npm run build` made)')
          .option('--trust-new-hosts', 'record the host key of hosts never seen before', false)
          .option('--force', 'drain pods no controller manages (they are not recreated)', false)
          .option('--delete-emptydir-data', 'drain pods with emptyDir volumes (their data is lost)', false)
          .option(
            '--drain-timeout <duration>',
            'give up on a node whose pods cannot leave in this long',
            '5m',
          ),
      ),
    );
    cmd.action(
      run(async (io, globals) => {
        const { runUpgradeCommand } = await import('./upgrade-run.js');
        return runUpgradeCommand(io, globals, cmd.args[0], cmd.opts<UpgradeFlags>());
      }),
    );
  },
};
