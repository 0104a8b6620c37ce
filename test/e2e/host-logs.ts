import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SimHost } from '../harness/hosts/sim-host.js';

/**
 * The last lines of every log tugboat wrote on each host (its private /var/log/tugboat), for
 * failure messages: a service that never came up says why here.
 */
export function hostLogTails(hosts: readonly SimHost[], lines = 30): string {
  const out: string[] = [];
  for (const host of hosts) {
    const dir = join(host.layout.root, 'var/log/tugboat');
    let files: string[] = [];
    try {
      files = readdirSync(dir);
    } catch {
      continue;
    }
    for (const f of files) {
      const text = readFileSync(join(dir, f), 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
      out.push(`--- ${host.instanceId} (${host.privateIp}) /var/log/tugboat/${f}\n${text}`);
    }
  }
  return out.join('\n');
}
