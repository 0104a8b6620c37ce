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

/** The host's tugboat supervisors and the control plane / agent processes they run. */
function tugboatServices(host: SimHost): number[] {
  return host.processes().filter((pid) => {
    const argv = cmdline(pid);
    return argv.includes('-supervise.sh') || /\.mjs (control-plane|agent)\b/.test(argv);
  });
}

/** Signals `targets`, then waits (bounded by `waitMs`) until none of `services` is alive; returns those that are. */
async function signalAndWait(
  services: readonly number[],
  targets: readonly number[],
  sig: NodeJS.Signals,
  waitMs: number,
): Promise<number[]> {
  for (const pid of targets) {
    try {
      process.kill(pid, sig);
    } catch {
      // already gone
    }
  }
  const deadline = Date.now() + waitMs;
  while (Date.now() < deadline && services.some(alive)) await sleep(50);
  return services.filter(alive);
}

const isSupervisor = (pid: number) => cmdline(pid).includes('-supervise.sh');

/**
 * What a terminated instance is: off. Kills the tugboat supervisors, then the services they ran
 * (by PID, SIGKILL, supervisors first so none is restarted), and waits (bounded by `waitMs`) until
 * they are gone, before the rest of the host's teardown (containers, dockerd) which takes seconds:
 * a master must not keep shipping its store to S3 that long after EC2 said terminated.
 * Returns the PIDs still alive then.
 */
export function killServices(host: SimHost, waitMs: number): Promise<number[]> {
  const services = tugboatServices(host);
  const supervisors = services.filter(isSupervisor);
  const order = [...supervisors, ...services.filter((p) => !supervisors.includes(p))];
  return signalAndWait(services, order, 'SIGKILL', waitMs);
}

/**
 * The first part of a normal shutdown, as EC2 does one when an instance is terminated: the
 * tugboat services' supervisors get SIGTERM (as `systemctl stop` at shutdown) while the host's
 * network and its path to the AWS endpoint are still up, so a master's last store records can
 * ship. Waits (bounded by `graceMs`) until the supervisors and the services they ran are gone;
 * returns the PIDs still alive then (the host's teardown kills them).
 */
export function stopServicesGracefully(host: SimHost, graceMs: number): Promise<number[]> {
  const services = tugboatServices(host);
  return signalAndWait(services, services.filter(isSupervisor), 'SIGTERM', graceMs);
}
