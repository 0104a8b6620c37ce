import { execFileSync } from 'node:child_process';
import { readlinkSync } from 'node:fs';
import { listLinks } from '../harness/hosts/links.js';

export { listLinks };

/** What the confinement check saw. */
export interface ConfinementReport {
  /** Network interfaces visible to this process (by name). */
  readonly links: readonly string[];
  /** This process's network namespace, e.g. `net:[4026532201]`. */
  readonly netns: string;
}

/**
 * Proves the e2e cannot send a packet off this machine: the process must sit in a network
 * namespace of its own (TUGBOAT_E2E_CONFINED set by scripts/e2e-run.sh) in which every interface
 * other than loopback is one the test created itself (`allowed` decides which names those are).
 * Throws, naming what it saw and how to run the suite, otherwise.
 */
export function checkConfinement(allowed: (link: string) => boolean = () => false): ConfinementReport {
  const how = 'run the suite with `npm run test:e2e`, which confines it with unshare --net';
  if (process.env.TUGBOAT_E2E_CONFINED !== '1')
    throw new Error(`e2e refused to start outside its network namespace: ${how}`);
  const links = listLinks();
  const foreign = links.filter((l) => l !== 'lo' && !allowed(l));
  if (foreign.length > 0)
    throw new Error(
      `e2e refused to start: it can see network interfaces it did not create (${foreign.join(', ')}); ${how}`,
    );
  const routes = execFileSync('ip', ['-4', 'route', 'show', 'table', 'all'], { encoding: 'utf8' });
  const defaults = routes.split('\n').filter((r) => r.startsWith('default'));
  if (defaults.length > 0)
    throw new Error(`e2e refused to start: a default route exists (${defaults.join('; ')}); ${how}`);
  return { links, netns: readlinkSync('/proc/self/ns/net') };
}
