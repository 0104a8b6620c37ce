import { initCommand } from './init.js';
import type { CommandModule } from './registry.js';
import { schemaCommand } from './schema.js';
import { templateCommand } from './template.js';
import { validateCommand } from './validate.js';

/** Every subcommand, in the order `tugboat --help` lists them. One line per command file. */
export const commands: readonly CommandModule[] = [
  initCommand,
  validateCommand,
  templateCommand,
  schemaCommand,
];
