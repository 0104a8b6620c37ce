import { UsageError } from '../../errors.js';
import { addAwsFlags } from '../support/aws-flags.js';
import type { CommandModule } from './registry.js';

/** `tugboat eip list NAME` and `tugboat eip assign NAME [--group G | --instance ID]`. */
export const eipCommand: CommandModule = {
  define(program, run) {
    const eip = program.command('eip').description("the cluster's Elastic IP pool");
    const list = addAwsFlags(
      eip
        .command('list')
        .description('list pool EIPs and what they are attached to')
        .argument('<name>', 'cluster name'),
    );
    list.action(
      run(async (io, globals) => {
        const { runEipList } = await import('./inspect-run.js');
        return runEipList(io, globals, String(list.args[0]), list.opts());
      }),
    );
    const assign = addAwsFlags(
      eip
        .command('assign')
        .description('associate free pool EIPs with instances that have none (never steals one in use)')
        .argument('<name>', 'cluster name')
        .option('--group <group>', 'only this group (default: the groups whose spec says eip: true)')
        .option('--instance <id>', 'only this instance'),
    );
    assign.action(
      run(async (io, globals) => {
        const opts = assign.opts<{ group?: string; instance?: string }>();
        if (opts.group && opts.instance) throw new UsageError('give --group or --instance, not both');
        const { runEipAssign } = await import('./inspect-run.js');
        return runEipAssign(io, globals, String(assign.args[0]), opts);
      }),
    );
  },
};
