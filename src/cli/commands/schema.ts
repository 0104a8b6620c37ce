import type { CommandModule } from './registry.js';

/** `tugboat schema`: print the JSON Schema of the cluster spec, for editors. */
export const schemaCommand: CommandModule = {
  define(program, run) {
    program
      .command('schema')
      .description('print the JSON Schema of the cluster spec (for editor completion and checks)')
      .action(
        run(async (io) => {
          const { buildClusterSpecJsonSchema } = await import('../../spec.js');
          io.stdout(`${JSON.stringify(buildClusterSpecJsonSchema(), null, 2)}\n`);
          return 0;
        }),
      );
  },
};
