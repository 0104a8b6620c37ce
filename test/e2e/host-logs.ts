import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CONSOLE_OUTPUT_FILE } from '../harness/hosts/instance-boot.js';
import type { SimHost } from '../harness/hosts/sim-host.js';

/**
 * The last lines of every log tugboat wrote on each host (its private /var/log/tugboat), and of
 * its console output when the harness booted it from user-data, for failure messages: a service
 * that never came up says why here.
 */
export function hostLogTails(hosts: readonly SimHost[], lines = 30): string {
  const out: string[] = [];
  for (const host of hosts) {
    try {
      const text = readFileSync(join(host.layout.dir, CONSOLE_OUTPUT_FILE), 'utf8');
      out.push(`--- ${host.instanceId} (${host.privateIp}) console output\n${tail(text, lines)}`);
    } catch {
      // not booted from user-data
    }
    const dir = join(host.layout.root, 'var/log/tugboat');
    let files: string[] = [];
    try {
      files = readdirSync(dir);
    } catch {
      continue;
    }
    for (const f of files) {
      const text = tail(readFileSync(join(dir, f), 'utf8'), lines);
      out.push(`--- ${host.instanceId} (${host.privateIp}) /var/log/tugboat/${f}\n${text}`);
    }
  }
  return out.join('\n');
}

function tail(text: string, lines: number): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}
