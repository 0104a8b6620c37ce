// Runs the host bundle's CLI from source in a child process (node --import tsx test/support/host-entry.ts ...):
// the commands a master's services run, without the laptop-side ones (and their global flags).
import { hostMain } from '../../src/cli/host-main.js';

process.exitCode = await hostMain(process.argv.slice(2));
