import { existsSync, readdirSync } from 'node:fs';
import { cgroupDirs, isAlive, namespaceOf } from './host-processes.js';
import { listLinks } from './links.js';
import { run, sleep } from './shell.js';

/** Everything the host harness made, recorded as it made it. */
export interface HarnessFootprint {
  readonly netns: string[];
  readonly links: string[];
  readonly dirs: string[];
  readonly cgroups: string[];
  readonly pids: number[];
  /** Namespace identities (`net:[…]`, `mnt:[…]`) of the hosts; no live process may remain in one. */
  readonly namespaces: string[];
}

/** A footprint with nothing recorded yet. */
export function emptyFootprint(): HarnessFootprint {
  return { netns: [], links: [], dirs: [], cgroups: [], pids: [], namespaces: [] };
}

/**
 * Proves the harness cleaned up: none of its network namespaces in `ip netns list`, none of its
 * links, directories or cgroups, no recorded PID alive (zombies count as dead), and no live process
 * in any host's namespaces. Retries briefly, because the kernel frees namespaces and links
 * asynchronously; returns what is still there (empty when clean).
 */
export async function checkNothingLeft(footprint: HarnessFootprint, timeoutMs = 15_000): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const left = findLeftovers(footprint);
    if (left.length === 0 || Date.now() > deadline) return left;
    await sleep(250);
  }
}

function findLeftovers(footprint: HarnessFootprint): string[] {
  const left: string[] = [];
  const netns = run('ip', ['netns', 'list']);
  for (const ns of footprint.netns)
    if (netns.split('\n').some((l) => l.split(' ')[0] === ns)) left.push(`netns ${ns}`);
  const links = listLinks();
  for (const l of footprint.links) if (links.includes(l)) left.push(`link ${l}`);
  for (const d of footprint.dirs) if (existsSync(d)) left.push(`dir ${d}`);
  for (const c of footprint.cgroups) for (const d of cgroupDirs(c)) left.push(`cgroup ${d}`);
  for (const pid of footprint.pids) if (isAlive(pid)) left.push(`pid ${pid}`);
  const ours = new Set(footprint.namespaces);
  if (ours.size > 0)
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      const pid = Number(entry);
      const ns = [namespaceOf(pid, 'net'), namespaceOf(pid, 'mnt')];
      if (ns.some((n) => n && ours.has(n)) && isAlive(pid)) left.push(`pid ${pid} (in a host namespace)`);
    }
  return left;
}
