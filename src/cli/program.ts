import { type Command, CommanderError } from 'commander';
import { isTugboatError } from '../errors.js';
import type { CommandModule, CommandRunner } from './commands/registry.js';
import type { CliIO, GlobalOptions } from './support/context.js';

/** Prints an error the way a user should see it and returns the exit code. */
export function reportError(io: CliIO, globals: GlobalOptions, err: unknown): number {
  if (isTugboatError(err)) {
    if (globals.output === 'json') {
      io.stdout(`${JSON.stringify({ error: { code: err.code, message: err.message } }, null, 2)}\n`);
    }
    io.stderr(`error: ${err.message}\n`);
    if (globals.debug && err.stack) io.stderr(`${err.stack}\n`);
    return err.exitCode;
  }
  const message = err instanceof Error ? err.message : String(err);
  io.stderr(`error: ${message}\n`);
  if (globals.debug && err instanceof Error && err.stack) io.stderr(`${err.stack}\n`);
  else io.stderr('(this looks like a bug in tugboat; re-run with --debug for a stack trace)\n');
  return 1;
}

/**
 * Defines `commands` on `program`, each action wrapped so that an error is reported (see
 * {@link reportError}) and becomes the exit code; `globals` is read when an action runs (after parsing).
 */
export function defineCommands(
  program: Command,
  commands: readonly CommandModule[],
  io: CliIO,
  globals: () => GlobalOptions,
  setExit: (code: number) => void,
): void {
  const run: CommandRunner = (action) => async () => {
    const g = globals();
    try {
      setExit((await action(io, g)) ?? 0);
    } catch (err) {
      setExit(reportError(io, g, err));
    }
  };
  for (const command of commands) command.define(program, run);
}

/**
 * Parses `argv` (without node and script) with a program built by `build` and returns the exit code:
 * the action's, or 2 for a usage error (0 for `--help` and `--version`). The laptop CLI and the host
 * program both run through here.
 */
export async function runProgram(
  argv: readonly string[],
  build: (setExit: (code: number) => void) => Command,
): Promise<number> {
  let exitCode = 0;
  const program = build((code) => {
    exitCode = code;
  });
  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    throw err;
  }
  return exitCode;
}
