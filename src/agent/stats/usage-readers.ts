import { readFile } from 'node:fs/promises';

/** Cumulative CPU and current memory of one cgroup, process or the node, read at one instant. */
export interface Usage {
  /** Cumulative CPU time in nanoseconds. */
  readonly cpuNanoSeconds: number;
  readonly usageBytes: number;
  readonly workingSetBytes: number;
  readonly rssBytes?: number;
  readonly availableBytes?: number;
}

/** Where cgroup hierarchies are mounted. @default '/sys/fs/cgroup' */
const CGROUP_ROOT = '/sys/fs/cgroup';
/** USER_HZ: /proc reports CPU times in these ticks on every Linux architecture we run on. */
const NS_PER_TICK = 1e7;
const PAGE_BYTES = 4096;

async function text(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
}

async function number(path: string): Promise<number | undefined> {
  const t = await text(path);
  if (t === undefined) return undefined;
  const n = Number(t.trim());
  return Number.isFinite(n) ? n : undefined;
}

/** A `key value` line of a cgroup `*.stat` file; 0 when absent. */
function statField(stat: string | undefined, key: string): number {
  const m = stat ? new RegExp(`^${key} (\\d+)$`, 'm').exec(stat) : null;
  return m ? Number(m[1]) : 0;
}

/**
 * Usage of the cgroup `pid` is in, from the cgroup files (v1 `cpuacct` + `memory` controllers,
 * or the v2 unified hierarchy). Working set is usage minus inactive file pages, as cAdvisor and
 * the kubelet compute it. Undefined when the process is gone or its cgroup files are unreadable.
 */
export async function readCgroupUsage(pid: number, root: string = CGROUP_ROOT): Promise<Usage | undefined> {
  const membership = await text(`/proc/${pid}/cgroup`);
  return membership ? readCgroupUsageOf(membership, root) : undefined;
}

/** As {@link readCgroupUsage}, for the `/proc/PID/cgroup` text `membership` under `root`. */
export async function readCgroupUsageOf(membership: string, root: string): Promise<Usage | undefined> {
  const lines = membership.split('\n').map((l) => l.split(':'));
  const v1 = (controller: string) =>
    lines
      .find((l) => l.length >= 3 && l[1]!.split(',').includes(controller))
      ?.slice(2)
      .join(':');
  const cpuPath = v1('cpuacct');
  const memPath = v1('memory');
  if (cpuPath !== undefined && memPath !== undefined) {
    const cpu =
      (await number(`${root}/cpuacct${cpuPath}/cpuacct.usage`)) ??
      (await number(`${root}/cpu,cpuacct${cpuPath}/cpuacct.usage`));
    const usage = await number(`${root}/memory${memPath}/memory.usage_in_bytes`);
    if (cpu === undefined || usage === undefined) return undefined;
    const stat = await text(`${root}/memory${memPath}/memory.stat`);
    const inactive = statField(stat, 'total_inactive_file');
    return {
      cpuNanoSeconds: cpu,
      usageBytes: usage,
      workingSetBytes: Math.max(0, usage - inactive),
      rssBytes: statField(stat, 'total_rss'),
    };
  }
  const unified = lines
    .find((l) => l[0] === '0' && l[1] === '')
    ?.slice(2)
    .join(':');
  if (unified === undefined) return undefined;
  const dir = `${root}${unified}`;
  const cpuStat = await text(`${dir}/cpu.stat`);
  const usage = await number(`${dir}/memory.current`);
  if (cpuStat === undefined || usage === undefined) return undefined;
  const stat = await text(`${dir}/memory.stat`);
  return {
    cpuNanoSeconds: statField(cpuStat, 'usage_usec') * 1000,
    usageBytes: usage,
    workingSetBytes: Math.max(0, usage - statField(stat, 'inactive_file')),
    rssBytes: statField(stat, 'anon'),
  };
}

/**
 * Usage of one host process (the `process` runtime's containers share the agent's cgroup): its
 * own and its reaped children's CPU time, and its resident set.
 */
export async function readProcessUsage(pid: number): Promise<Usage | undefined> {
  const stat = await text(`/proc/${pid}/stat`);
  if (!stat) return undefined;
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields after the command: state is f[0], utime f[11], stime f[12], cutime f[13], cstime f[14], rss f[21].
  const ticks = Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
  const rss = Number(f[21]) * PAGE_BYTES;
  if (!Number.isFinite(ticks) || !Number.isFinite(rss)) return undefined;
  return { cpuNanoSeconds: ticks * NS_PER_TICK, usageBytes: rss, workingSetBytes: rss, rssBytes: rss };
}

/**
 * The node's usage from /proc: CPU time that was not idle or waiting on I/O, and memory in use
 * (total minus free) with the working set as total minus available.
 */
export async function readNodeUsage(): Promise<Usage | undefined> {
  const stat = await text('/proc/stat');
  const meminfo = await text('/proc/meminfo');
  if (!stat || !meminfo) return undefined;
  const cpu = /^cpu\s+(.*)$/m.exec(stat)?.[1]?.trim().split(/\s+/).map(Number);
  if (!cpu || cpu.length < 4 || cpu.some((n) => !Number.isFinite(n))) return undefined;
  // user nice system idle iowait irq softirq steal (guest time is already counted in user).
  const busy = cpu.slice(0, 8).reduce((a, b) => a + b, 0) - (cpu[3] ?? 0) - (cpu[4] ?? 0);
  const kb = (key: string) => {
    const m = new RegExp(`^${key}:\\s+(\\d+) kB$`, 'm').exec(meminfo);
    return m ? Number(m[1]) * 1024 : undefined;
  };
  const total = kb('MemTotal');
  const free = kb('MemFree');
  const available = kb('MemAvailable') ?? free;
  if (total === undefined || free === undefined || available === undefined) return undefined;
  return {
    cpuNanoSeconds: busy * NS_PER_TICK,
    usageBytes: total - free,
    workingSetBytes: total - available,
    availableBytes: available,
  };
}
