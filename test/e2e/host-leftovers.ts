import { readFileSync } from 'node:fs';
import type { RemoteShell } from '../../src/ssh/remote-shell.js';
import { dockerRules, savedRules, tugboatNetworkLeftovers } from '../harness/hosts/net-state.js';
import type { SimHost } from '../harness/hosts/sim-host.js';

const TUGBOAT_PROGRAM = /\/opt\/tugboat\/|\/var\/lib\/tugboat\/|tugboat-(agent|control-plane)/;

/**
 * What tugboat left on a simulated host, as the host sees it: entries in its five directories
 * (over SSH, so the host's own mount namespace), processes of the host running a tugboat program,
 * pod containers (label `tugboat.dev/managed`) in its dockerd, and network state of ours (links,
 * routes, rules; Docker's own rules changed). Empty when the host is clean.
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
  // The pod network and the service proxy: no link, route, rule or chain of ours, and Docker's
  // own rules exactly as its dockerd wrote them before tugboat came.
  left.push(...tugboatNetworkLeftovers(host.netns));
  const docker = dockerRules(savedRules(host.netns));
  if (docker.join('\n') !== host.dockerRules.join('\n'))
    left.push(
      `docker rules changed:\n  before: ${host.dockerRules.join('\n  ')}\n  after: ${docker.join('\n  ')}`,
    );
  return left;
}
