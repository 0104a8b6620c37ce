import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isRunning, spawnDetached } from '../../src/local/processes.js';
import { readLocalState, writeLocalState } from '../../src/local/state.js';
import type { LocalTestCluster } from './local-cluster.js';

const CLI = fileURLToPath(new URL('../../bin/tugboat.js', import.meta.url));

/** Kills the first agent of a `local up` cluster with SIGKILL, as a crash or the OOM killer would. */
export function killLocalAgent(cluster: LocalTestCluster): void {
  const pid = readLocalState(cluster.dir)?.nodes[0]?.pid ?? 0;
  if (pid <= 1) throw new Error('no agent pid in the local state');
  process.kill(pid, 'SIGKILL');
}

/** Starts the first agent again as a supervisor would (same config, same data directory, same log). */
export function restartLocalAgent(cluster: LocalTestCluster): void {
  const state = readLocalState(cluster.dir);
  const node = state?.nodes[0];
  if (!state || !node) throw new Error('no local state');
  const pid = spawnDetached(
    [CLI, 'agent', '-c', join(cluster.dir, 'agents', `${node.name}.yaml`)],
    node.log,
    {
      ...cluster.env,
      TUGBOAT_HOME: undefined,
    },
  );
  writeLocalState(cluster.dir, { ...state, nodes: [{ ...node, pid }] });
}

/** The first agent's log so far. */
export function localAgentLog(cluster: LocalTestCluster): string {
  const log = readLocalState(cluster.dir)?.nodes[0]?.log;
  return log ? readFileSync(log, 'utf8') : '';
}

/**
 * Live processes whose working directory is under the process runtime's folder of the first
 * agent (its containers' and their exec sessions'), found through /proc rather than the runtime's
 * records, with their command lines.
 */
export function processRuntimePids(cluster: LocalTestCluster): { pid: number; argv: string[] }[] {
  const root = `${join(cluster.dir, 'agents', 'local-1', 'process-runtime')}/`;
  const found: { pid: number; argv: string[] }[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (!readlinkSync(`/proc/${name}/cwd`).startsWith(root) || !isRunning(Number(name))) continue;
      const argv = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0').filter(Boolean);
      found.push({ pid: Number(name), argv });
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

/** Kills the control plane of a `local up` cluster with SIGKILL; returns how to start it again. */
export function killLocalControlPlane(cluster: LocalTestCluster): () => void {
  const state = readLocalState(cluster.dir);
  const pid = state?.controlPlane.pid ?? 0;
  if (!state || pid <= 1) throw new Error('no control-plane pid in the local state');
  // Its own command line, to start it again the same way (same data directory, port, certificates).
  const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).slice(1);
  process.kill(pid, 'SIGKILL');
  return () => {
    const log = state.controlPlane.log;
    const next = spawnDetached(args, log, { ...cluster.env, TUGBOAT_HOME: undefined });
    writeLocalState(cluster.dir, { ...state, controlPlane: { pid: next, log } });
  };
}
