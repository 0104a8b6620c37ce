import { readdir, readFile } from 'node:fs/promises';

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

/** Fields of `/proc/PID/stat` after the command: state is f[0], session f[3], utime f[11] ... rss f[21]. */
function statFields(stat: string): string[] {
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/** CPU ticks (own and reaped children's) and resident bytes of one `/proc/PID/stat`. */
function processFigures(f: readonly string[]): { ticks: number; rss: number } | undefined {
  const ticks = Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
  const rss = Number(f[21]) * PAGE_BYTES;
  return Number.isFinite(ticks) && Number.isFinite(rss) ? { ticks, rss } : undefined;
}

const usageOf = (ticks: number, rss: number): Usage => ({
  cpuNanoSeconds: ticks * NS_PER_TICK,
  usageBytes: rss,
  workingSetBytes: rss,
  rssBytes: rss,
});

/**
 * Usage of one host process: its own and its reaped children's CPU time, and its resident set.
 * Children that still run are not in it; see {@link readSessionUsages} for whole containers.
 */
export async function readProcessUsage(pid: number): Promise<Usage | undefined> {
  const stat = await text(`/proc/${pid}/stat`);
  const figures = stat ? processFigures(statFields(stat)) : undefined;
  return figures ? usageOf(figures.ticks, figures.rss) : undefined;
}

/** Processes whose stat is read at once while scanning /proc. */
const PROC_READ_CONCURRENCY = 64;

/**
 * Usage per session, for the leaders in `leaders`: the `process` runtime starts every container
 * as the leader of a new session (setsid), and the processes a container forks stay in it, so a
 * container's usage is the sum over its session — a shell that runs its busy loop in a child
 * counts, as it does in a cgroup. Processes that left the session (setsid again) are not counted.
 * One scan of /proc for all containers; a leader that is gone is missing from the result.
 */
export async function readSessionUsages(
  leaders: ReadonlySet<number>,
  proc = '/proc',
): Promise<Map<number, Usage>> {
  const totals = new Map<number, { ticks: number; rss: number }>();
  if (leaders.size === 0) return new Map();
  let names: string[];
  try {
    names = (await readdir(proc)).filter((n) => /^\d+$/.test(n));
  } catch {
    return new Map();
  }
  for (let i = 0; i < names.length; i += PROC_READ_CONCURRENCY) {
    const stats = await Promise.all(
      names.slice(i, i + PROC_READ_CONCURRENCY).map((n) => text(`${proc}/${n}/stat`)),
    );
    for (const stat of stats) {
      if (!stat) continue;
      const f = statFields(stat);
      const session = Number(f[3]);
      if (!leaders.has(session)) continue;
      const figures = processFigures(f);
      if (!figures) continue;
      const sum = totals.get(session) ?? { ticks: 0, rss: 0 };
      sum.ticks += figures.ticks;
      sum.rss += figures.rss;
      totals.set(session, sum);
    }
  }
  return new Map([...totals].map(([sid, t]) => [sid, usageOf(t.ticks, t.rss)]));
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
