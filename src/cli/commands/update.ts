import { addAwsFlags } from '../aws-flags.js';
import type { CommandModule } from './registry.js';

/** `tugboat update -f FILE`: change set, show add / modify / replace, apply on confirmation. */
export const updateCommand: CommandModule = {
  define(program, run) {
    const cmd = addAwsFlags(
      program
        .command('update')
        .description('change a cluster to match its spec through a CloudFormation change set')
        .requiredOption('-f, --file <path>', 'cluster spec (YAML or JSON)')
        .option('-y, --yes', 'apply the changes without asking'),
    );
    cmd.action(
      run(async (io, globals) => {
        const { runUpdate } = await import('./lifecycle-run.js');
        return runUpdate(io, globals, cmd.opts());
      }),
    );
  },
};
