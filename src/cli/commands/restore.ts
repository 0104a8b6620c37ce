import { addAwsFlags } from '../support/aws-flags.js';
import type { CommandModule } from './registry.js';

/** Flags of `tugboat restore`. */
export interface RestoreFlags {
  readonly from: string;
  readonly dryRun?: boolean;
  readonly yes?: boolean;
  readonly region?: string;
  readonly profile?: string;
  readonly endpointUrl?: string;
}

/** `tugboat restore NAME --from BACKUP`: make a backup the cluster's state. */
export const restoreCommand: CommandModule = {
  define(program, run) {
    const cmd = addAwsFlags(
      program
        .command('restore')
        .description(
          "make a backup the cluster's state: shows what changes, asks, stops the master's control plane, restores, starts it",
        )
        .argument('<name>', 'cluster name')
        .requiredOption(
          '--from <backup>',
          'a name from `tugboat backup list NAME`, or OTHER-CLUSTER/NAME (e.g. a cluster deleted with --keep-backups)',
        )
        .option('--dry-run', 'only show what the restore would change')
        .option('-y, --yes', 'restore without asking'),
    );
    cmd.action(
      run(async (io, globals) => {
        const { runRestore } = await import('./restore-run.js');
        return runRestore(io, globals, String(cmd.args[0]), cmd.opts<RestoreFlags>());
      }),
    );
  },
};
