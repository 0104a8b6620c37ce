import type { Command } from 'commander';
import type { CliIO, GlobalOptions } from '../support/context.js';

/**
 * A subcommand. `define` only declares flags and help (it must import nothing heavy, so that
 * `tugboat --help` stays fast); the action lazily imports the module that does the work.
 */
export interface CommandModule {
  define(program: Command, run: CommandRunner): void;
}

/** Wraps a command action: resolves globals, catches errors and records the exit code. */
export type CommandRunner = (
  action: (io: CliIO, globals: GlobalOptions) => Promise<number | undefined>,
) => () => Promise<void>;
