/**
 * Names for what the host harness creates. Inside the e2e runner PIDs restart at 1, so names that
 * must be unique across the whole machine (temp dirs, cgroups) use TUGBOAT_E2E_RUN_ID, the runner's
 * PID outside its namespace; names that live only in the runner's own network namespace (links,
 * netns) use this process's PID as well. Linux interface names are at most 15 characters.
 */
export function runId(): string {
  return process.env.TUGBOAT_E2E_RUN_ID ?? String(process.pid);
}

/** A short token for this process (base 36 keeps interface names under 15 characters). */
function pidToken(): string {
  return (process.pid % 46_656).toString(36);
}

/** Network namespace name of simulated host number `n`. */
export function netnsName(n: number): string {
  return `tbh-${runId()}-${process.pid}-${n}`;
}

/** The runner-side end of host `n`'s veth pair (the other end becomes eth0 inside the host). */
export function vethName(n: number): string {
  return `tbv${pidToken()}h${n}`;
}

/** The test bridge of subnet number `n` (holds the subnet's .1 as gateway). */
export function bridgeName(n: number): string {
  return `tbb${pidToken()}s${n}`;
}

/** Cgroup parent for host `n`'s containers, unique machine-wide (cgroupfs is not namespaced here). */
export function cgroupParentName(n: number): string {
  return `tugboat-e2e-${runId()}-${process.pid}-h${n}`;
}

/** Whether a network interface name is one this harness makes. */
export function isHarnessLink(name: string): boolean {
  return name.startsWith(`tbv${pidToken()}h`) || name.startsWith(`tbb${pidToken()}s`);
}
