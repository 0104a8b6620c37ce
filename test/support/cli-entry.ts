// Runs the tugboat CLI from source in a child process (node --import tsx test/support/cli-entry.ts ...).
import { main } from '../../src/cli/main.js';

process.exitCode = await main(process.argv.slice(2));
