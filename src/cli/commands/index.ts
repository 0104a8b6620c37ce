import type { CommandModule } from './registry.js';

/** Every subcommand, in the order `tugboat --help` lists them. One line per command file. */
export const commands: readonly CommandModule[] = [];
