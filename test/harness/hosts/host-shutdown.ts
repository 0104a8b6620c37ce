import { readFileSync } from 'node:fs';
import { sleep } from './shell.js';
import type { SimHost } from './sim-host.js';

function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    return '';
  }
}

function alive(pid: number): boolean {
  try {
    // Zombies count as gone (PID 1 reaps late here).
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/**
 * The first part of a normal shutdown, as EC2 does one when an instance is terminated: the
 * tugboat services' supervisors get SIGTERM (as `systemctl stop` at shutdown) while the host's
 * network and its path to the AWS endpoint are still up, so a master's last store records can
 * ship. Waits (bounded by `graceMs`) until the supervisors and the services they ran are gone;
 * returns the PIDs still alive then (the host's teardown kills them).
 */
export async function stopServicesGracefully(host: SimHost, graceMs: number): Promise<number[]> {
  const services = host.processes().filter((pid) => {
    const argv = cmdline(pid);
    return argv.includes('-supervise.sh') || /\.mjs (control-plane|agent)\b/.test(argv);
  });
  for (const pid of services) {
    if (!cmdline(pid).includes('-supervise.sh')) continue;
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      // already gone
    }
  }
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline && services.some(alive)) await sleep(100);
  return services.filter(alive);
}
