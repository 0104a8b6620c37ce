import type { CommandModule } from './registry.js';

/** `tugboat version`: the client's version, and the server's of kubectl's current context when it answers. */
export const versionCommand: CommandModule = {
  define(program, run) {
    const cmd = program
      .command('version')
      .description("print tugboat's version, and the API server's of the current kubectl context")
      .option('--client', 'only the client version (no network)', false)
      .option('--context <name>', 'ask the API server of this kubeconfig context (default: the current one)');
    cmd.action(
      run(async (io, globals) => {
        const { runVersion } = await import('./version-run.js');
        return runVersion(io, globals, cmd.opts<{ client: boolean; context?: string }>());
      }),
    );
  },
};
