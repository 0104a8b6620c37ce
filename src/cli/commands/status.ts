import { addAwsFlags } from '../support/aws-flags.js';
import type { CommandModule } from './registry.js';

/** `tugboat status NAME`: stack, groups, instances and EIPs, from AWS alone. */
export const statusCommand: CommandModule = {
  define(program, run) {
    const cmd = addAwsFlags(
      program
        .command('status')
        .description('show a cluster: stack status, groups (desired vs in service), instances, EIPs')
        .argument('<name>', 'cluster name'),
    );
    cmd.action(
      run(async (io, globals) => {
        const { runStatus } = await import('./inspect-run.js');
        return runStatus(io, globals, String(cmd.args[0]), cmd.opts());
      }),
    );
  },
};
