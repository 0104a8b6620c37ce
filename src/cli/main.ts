import { readFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { isTugboatError } from '../errors.js';
import { commands } from './commands/index.js';
import type { CommandRunner } from './commands/registry.js';
import { type CliIO, type GlobalOptions, processIO } from './context.js';

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

/** Builds the commander program. Nothing here loads the AWS SDK, ssh2 or the control plane. */
export function buildProgram(io: CliIO, setExit: (code: number) => void): Command {
  const program = new Command('tugboat')
    .description('Stand up container clusters on AWS from a laptop or CI, and tear them down again.')
    .addHelpText(
      'after',
      [
        '',
        'Getting started:',
        '  tugboat init my-cluster > cluster.yaml    write a commented example spec',
        '  tugboat validate -f cluster.yaml          check it (no AWS access)',
        '  tugboat template -f cluster.yaml          see the CloudFormation it renders',
        '  tugboat create -f cluster.yaml            build the cluster',
        '  tugboat delete my-cluster                 remove it and prove nothing is left',
        '',
        'AWS settings come from the usual places (AWS_PROFILE, AWS_REGION, AWS_ENDPOINT_URL for',
        'LocalStack-style emulators). Use --output json in CI; exit codes are listed in the README.',
      ].join('\n'),
    )
    .version(packageVersion(), '-V, --version', 'print the tugboat version')
    .addOption(
      new Option('-o, --output <format>', 'result format: text for people, json for CI')
        .choices(['text', 'json'])
        .default('text'),
    )
    .option('--debug', 'print stack traces and debug events', false)
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .exitOverride();

  const run: CommandRunner = (action) => async () => {
    const opts = program.opts<{ output: 'text' | 'json'; debug: boolean }>();
    const globals: GlobalOptions = { output: opts.output, debug: opts.debug };
    try {
      setExit((await action(io, globals)) ?? 0);
    } catch (err) {
      setExit(reportError(io, globals, err));
    }
  };

  for (const command of commands) command.define(program, run);
  return program;
}

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

/** Runs the CLI with `argv` (without node and script) and returns the exit code. */
export async function main(argv: readonly string[], io: CliIO = processIO()): Promise<number> {
  let exitCode = 0;
  const program = buildProgram(io, (code) => {
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
