import { type Command, CommanderError } from 'commander';
import { isTugboatError } from '../errors.js';
import type { CommandModule, CommandRunner } from './commands/registry.js';
import type { CliIO, GlobalOptions } from './support/context.js';

/** Exit code of an unexpected error (a bug); the README lists every code. */
export const EXIT_BUG = 1;
/** Exit code of a usage error commander finds (unknown option, missing argument). */
export const EXIT_USAGE = 2;

/**
 * With `--output json|yaml`, an error is a result too: `{ error: { code, message, exitCode } }`
 * on stdout (INTERNAL for an unexpected error), so a CI step that parses stdout always gets JSON.
 */
async function printErrorResult(
  io: CliIO,
  output: GlobalOptions['output'] | undefined,
  error: { code: string; message: string; exitCode: number },
): Promise<void> {
  if (output !== 'json' && output !== 'yaml') return;
  const { renderData } = await import('./support/output.js');
  io.stdout(renderData(output, { error }));
}

/** Prints an error the way a user should see it and returns the exit code. */
export async function reportError(io: CliIO, globals: GlobalOptions, err: unknown): Promise<number> {
  if (isTugboatError(err)) {
    await printErrorResult(io, globals.output, {
      code: err.code,
      message: err.message,
      exitCode: err.exitCode,
    });
    io.stderr(`error: ${err.message}\n`);
    if (globals.debug && err.stack) io.stderr(`${err.stack}\n`);
    return err.exitCode;
  }
  const message = err instanceof Error ? err.message : String(err);
  await printErrorResult(io, globals.output, { code: 'INTERNAL', message, exitCode: EXIT_BUG });
  io.stderr(`error: ${message}\n`);
  if (globals.debug && err instanceof Error && err.stack) io.stderr(`${err.stack}\n`);
  else io.stderr('(this looks like a bug in tugboat; re-run with --debug for a stack trace)\n');
  return EXIT_BUG;
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
      setExit(await reportError(io, g, err));
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
  io?: CliIO,
): Promise<number> {
  let exitCode = 0;
  const program = build((code) => {
    exitCode = code;
  });
  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (err) {
    if (!(err instanceof CommanderError)) throw err;
    if (err.exitCode === 0) return 0;
    // Commander printed the message; a JSON reader gets it as a result too (root options parse first).
    if (io) {
      const message = err.message.replace(/^error: /, '');
      await printErrorResult(io, program.opts<Partial<GlobalOptions>>().output, {
        code: 'USAGE',
        message,
        exitCode: EXIT_USAGE,
      });
    }
    return EXIT_USAGE;
  }
  return exitCode;
}
