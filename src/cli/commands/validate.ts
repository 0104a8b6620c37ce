import type { CommandModule } from './registry.js';

/** `tugboat validate -f FILE`: check a cluster spec without touching AWS. */
export const validateCommand: CommandModule = {
  define(program, run) {
    const cmd = program
      .command('validate')
      .description('check a cluster spec (no AWS access); exit code 2 when it has errors')
      .requiredOption('-f, --file <path>', 'cluster spec (YAML or JSON; - reads stdin)');
    cmd.action(
      run(async (io, globals) => {
        const { runValidate } = await import('./validate-run.js');
        return runValidate(io, globals, cmd.opts<{ file: string }>().file);
      }),
    );
  },
};
