import type { CommandModule } from './registry.js';

/** `tugboat schema`: print the JSON Schema of the cluster spec, for editors. */
export const schemaCommand: CommandModule = {
  define(program, run) {
    program
      .command('schema')
      .description(
        'print the JSON Schema of the cluster spec (for editor completion and checks; -o yaml for YAML)',
      )
      .action(
        run(async (io, globals) => {
          const { buildClusterSpecJsonSchema } = await import('../../spec.js');
          const { renderData } = await import('../support/output.js');
          // JSON unless -o yaml: the schema is a JSON document (text output is JSON too).
          io.stdout(renderData(globals.output === 'yaml' ? 'yaml' : 'json', buildClusterSpecJsonSchema()));
          return 0;
        }),
      );
  },
};
