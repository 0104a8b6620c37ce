import type { CommandModule } from './registry.js';

/** `tugboat init [NAME]`: print (or write) a commented example cluster spec. */
export const initCommand: CommandModule = {
  define(program, run) {
    const cmd = program
      .command('init')
      .description('print a commented example cluster spec (or write it with --file)')
      .argument('[name]', 'cluster name (DNS-safe, at most 32 characters)', 'my-cluster')
      .option('--region <region>', 'AWS region of the example', 'us-east-1')
      .option('-f, --file <path>', 'write the spec to this file instead of stdout')
      .option('--force', 'overwrite --file if it exists', false);
    cmd.action(
      run(async (io, globals) => {
        const { runInit } = await import('./init-run.js');
        const [name] = cmd.processedArgs as [string];
        return runInit(io, globals, {
          name,
          ...cmd.opts<{ region: string; file?: string; force: boolean }>(),
        });
      }),
    );
  },
};
