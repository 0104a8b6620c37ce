import { Command, Option } from 'commander';
import { TUGBOAT_VERSION } from '../version.js';
import { commands } from './commands/index.js';
import { defineCommands, runProgram } from './program.js';
import { type CliIO, type GlobalOptions, processIO } from './support/context.js';

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
        'LocalStack-style emulators). Use --output json (or yaml) and --progress json in CI; exit',
        'codes are listed in the README.',
      ].join('\n'),
    )
    .version(TUGBOAT_VERSION, '-V, --version', 'print the tugboat version')
    .addOption(
      new Option('-o, --output <format>', 'result format: text for people, json or yaml for programs')
        .choices(['text', 'json', 'yaml'])
        .default('text'),
    )
    .addOption(
      new Option('--progress <format>', 'progress on stderr: text, or json (one JSON object per line)')
        .choices(['text', 'json'])
        .default('text'),
    )
    .option('--debug', 'print stack traces and debug events', false)
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .exitOverride();

  defineCommands(
    program,
    commands,
    io,
    () => {
      const opts = program.opts<GlobalOptions>();
      return { output: opts.output, debug: opts.debug, progress: opts.progress ?? 'text' };
    },
    setExit,
  );
  return program;
}

/** Runs the CLI with `argv` (without node and script) and returns the exit code. */
export async function main(argv: readonly string[], io: CliIO = processIO()): Promise<number> {
  return runProgram(argv, (setExit) => buildProgram(io, setExit), io);
}
