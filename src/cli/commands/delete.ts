import { addAwsFlags } from '../support/aws-flags.js';
import { addKubeconfigFlags } from '../support/kubeconfig-flags.js';
import { addTimeoutFlag } from '../support/timeout.js';
import type { CommandModule } from './registry.js';

/** `tugboat delete NAME`: plan, confirm, delete the stack, sweep by tag, prove nothing is left. */
export const deleteCommand: CommandModule = {
  define(program, run) {
    const cmd = addKubeconfigFlags(
      addTimeoutFlag(
        addAwsFlags(
          program
            .command('delete')
            .description(
              'delete a cluster and everything tagged with it; exit 3 unless the final check finds nothing left',
            )
            .argument('<name>', 'cluster name')
            .option('-y, --yes', 'delete without asking')
            .option(
              '--keep-backups',
              "keep the cluster's backups (<name>/backups/ in the tugboat S3 bucket)",
            ),
        ),
      ),
      { switchContext: false },
    );
    cmd.action(
      run(async (io, globals) => {
        const { runDelete } = await import('./lifecycle-run.js');
        return runDelete(io, globals, String(cmd.args[0]), cmd.opts());
      }),
    );
  },
};
