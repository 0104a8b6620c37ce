import { addAwsFlags } from '../support/aws-flags.js';
import { addKubeconfigFlags } from '../support/kubeconfig-flags.js';
import { addTimeoutFlag } from '../support/timeout.js';
import type { CommandModule } from './registry.js';

/** `tugboat create -f FILE`: key pair, stack, wait for instances, then the SSH bootstrap (unless --no-bootstrap). */
export const createCommand: CommandModule = {
  define(program, run) {
    const cmd = addKubeconfigFlags(
      addTimeoutFlag(
        addAwsFlags(
          program
            .command('create')
            .description('create a cluster (re-running finishes an interrupted create)')
            .requiredOption('-f, --file <path>', 'cluster spec (YAML or JSON; - reads stdin)')
            .option('--no-bootstrap', 'stop once the instances are InService (skip the SSH bootstrap)')
            .option('--trust-new-hosts', 'record the host key of instances not yet in known_hosts', false)
            .option('--bundle <file>', 'host bundle to install (default: the one npm run build wrote)')
            .option('-y, --yes', 'answer yes to questions (replacing a stack left in ROLLBACK_COMPLETE)'),
        ),
      ),
      { switchContext: true },
    );
    cmd.action(
      run(async (io, globals) => {
        const { runCreate } = await import('./lifecycle-run.js');
        return runCreate(io, globals, cmd.opts());
      }),
    );
  },
};
