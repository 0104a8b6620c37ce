import { checkConfinement } from './confinement.js';

/**
 * Vitest global setup for the e2e: refuses to run unless the process is confined to a network
 * namespace holding nothing but loopback. Runs before any test file, so no test can reach a
 * server, start a host or talk to an emulated instance address from the machine's own network.
 */
export default function setup(): void {
  const report = checkConfinement();
  process.stderr.write(`e2e: confined to ${report.netns} (interfaces: ${report.links.join(', ')})\n`);
}
