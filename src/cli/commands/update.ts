import { addAwsFlags } from '../support/aws-flags.js';
import { addKubeconfigFlags } from '../support/kubeconfig-flags.js';
import { addTimeoutFlag } from '../support/timeout.js';
import type { CommandModule } from './registry.js';

/** `tugboat update -f FILE`: change set, show add / modify / replace, apply on confirmation, bootstrap new instances. */
export const updateCommand: CommandModule = {
  define(program, run) {
    const cmd = addKubeconfigFlags(
      addTimeoutFlag(
        addAwsFlags(
          program
            .command('update')
            .description('change a cluster to match its spec through a CloudFormation change set')
            .requiredOption('-f, --file <path>', 'cluster spec (YAML or JSON; - reads stdin)')
            .option('-y, --yes', 'apply the changes without asking')
            .option('--no-bootstrap', 'do not bootstrap the instances the update adds')
            .option('--trust-new-hosts', 'record the host key of instances not yet in known_hosts', false)
            .option('--bundle <file>', 'host bundle to install (default: the one npm run build wrote)'),
        ),
      ),
      { switchContext: false },
    );
    cmd.action(
      run(async (io, globals) => {
        const { runUpdate } = await import('./lifecycle-run.js');
        return runUpdate(io, globals, cmd.opts());
      }),
    );
  },
};
