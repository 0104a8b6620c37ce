import { readFileSync } from 'node:fs';
import type { RemoteShell } from '../../src/ssh/remote-shell.js';
import type { SimHost } from '../harness/hosts/sim-host.js';

const TUGBOAT_PROGRAM = /\/opt\/tugboat\/|\/var\/lib\/tugboat\/|tugboat-(agent|control-plane)/;

/**
 * What tugboat left on a simulated host, as the host sees it: entries in its five directories
 * (over SSH, so the host's own mount namespace), processes of the host running a tugboat program,
 * and pod containers (label `tugboat.dev/managed`) in its dockerd. Empty when the host is clean.
 */
export async function tugboatLeftovers(
  host: SimHost,
  withShell: <T>(address: string, body: (shell: RemoteShell) => Promise<T>) => Promise<T>,
): Promise<string[]> {
  const left: string[] = [];
  const files = await withShell(host.privateIp, (shell) =>
    shell.exec(
      'for d in /opt/tugboat /etc/tugboat /var/lib/tugboat /var/log/tugboat /run/tugboat; do [ -e "$d" ] && ls -A "$d" | sed "s|^|$d/|"; done; true',
    ),
  );
  left.push(
    ...files.stdout
      .split('\n')
      .filter(Boolean)
      .map((f) => `file ${f}`),
  );
  for (const pid of host.processes()) {
    let cmdline: string;
    try {
      cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
    } catch {
      continue; // exited meanwhile
    }
    if (TUGBOAT_PROGRAM.test(cmdline)) left.push(`process ${pid}: ${cmdline}`);
  }
  const containers = await host.docker!.json<{ Id: string; Labels?: Record<string, string> }[]>(
    'GET',
    '/containers/json?all=1',
  );
  for (const c of containers) if (c.Labels?.['tugboat.dev/managed']) left.push(`container ${c.Id}`);
  return left;
}
