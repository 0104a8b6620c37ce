import { Command, CommanderError } from 'commander';
import { agentCommand } from '../cli/commands/agent.js';
import { controlPlaneCommand } from '../cli/commands/api-server.js';
import type { CommandModule, CommandRunner } from '../cli/commands/registry.js';
import { type CliIO, type GlobalOptions, processIO } from '../cli/context.js';
import { isTugboatError } from '../errors.js';

/** The commands that run on cluster hosts; the host bundle contains only these (and what they import). */
export const hostCommands: readonly CommandModule[] = [controlPlaneCommand, agentCommand];

/**
 * Entry of the single-file bundle uploaded to hosts (`node tugboat-host-<hash>.mjs control-plane ...`).
 * It is the CLI without the laptop-side commands, so the bundle stays small and needs no AWS
 * credentials, ssh2 native code or package.json next to it.
 */
export async function hostMain(argv: readonly string[], io: CliIO = processIO()): Promise<number> {
  let exitCode = 0;
  const globals: GlobalOptions = { output: 'text', debug: argv.includes('--debug') };
  const program = new Command('tugboat-host')
    .description('tugboat programs that run on cluster hosts')
    .option('--debug', 'print stack traces and debug events', false)
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .exitOverride();
  const run: CommandRunner = (action) => async () => {
    try {
      exitCode = (await action(io, globals)) ?? 0;
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      io.stderr(`error: ${message}\n`);
      if (globals.debug && err instanceof Error && err.stack) io.stderr(`${err.stack}\n`);
      exitCode = isTugboatError(err) ? err.exitCode : 1;
    }
  };
  for (const command of hostCommands) command.define(program, run);
  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    throw err;
  }
  return exitCode;
}
