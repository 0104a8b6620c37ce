import { Command } from 'commander';
import { agentCommand } from './commands/agent.js';
import { controlPlaneCommand } from './commands/api-server.js';
import { bootCommand } from './commands/boot.js';
import type { CommandModule } from './commands/registry.js';
import { storeCommand } from './commands/store.js';
import { defineCommands, runProgram } from './program.js';
import { type CliIO, type GlobalOptions, processIO } from './support/context.js';

/** The commands that run on cluster hosts; the host bundle contains only these (and what they import). */
// `store repair` runs where the store is: on the master.
export const hostCommands: readonly CommandModule[] = [
  controlPlaneCommand,
  storeCommand,
  agentCommand,
  bootCommand,
];

/**
 * Entry of the single-file bundle uploaded to hosts (`node tugboat-host-<hash>.mjs control-plane ...`).
 * It is the CLI without the laptop-side commands, so the bundle stays small and needs no AWS
 * credentials, ssh2 native code or package.json next to it.
 */
export async function hostMain(argv: readonly string[], io: CliIO = processIO()): Promise<number> {
  const globals: GlobalOptions = { output: 'text', debug: argv.includes('--debug') };
  return runProgram(argv, (setExit) => {
    const program = new Command('tugboat-host')
      .description('tugboat programs that run on cluster hosts')
      .option('--debug', 'print stack traces and debug events', false)
      .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
      .exitOverride();
    defineCommands(program, hostCommands, io, () => globals, setExit);
    return program;
  });
}
