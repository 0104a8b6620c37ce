import { addAwsFlags } from '../support/aws-flags.js';
import type { CommandModule } from './registry.js';

/** `tugboat list`: the clusters in a region. */
export const listCommand: CommandModule = {
  define(program, run) {
    const cmd = addAwsFlags(program.command('list').description('list the tugboat clusters in a region'));
    cmd.action(
      run(async (io, globals) => {
        const { runList } = await import('./inspect-run.js');
        return runList(io, globals, cmd.opts());
      }),
    );
  },
};
