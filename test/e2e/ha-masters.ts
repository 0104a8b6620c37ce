/**
 * What the ha e2e does on a master over tugboat's SSH layer (host keys checked against the
 * cluster's known_hosts): the PIDs of its supervised control plane and etcd, a SIGKILL of both,
 * etcd's health as that master sees it, and moving etcd's leadership onto a chosen member.
 */

import { type EtcdClusterHealth, etcdClusterHealth } from '../../src/bootstrap/etcd-health.js';
import {
  CONTROL_PLANE_SERVICE,
  DEFAULT_HOST_LAYOUT,
  ETCD_SERVICE,
  etcdPaths,
  serviceStatus,
} from '../../src/bootstrap/index.js';
import type { SshShell } from '../../src/ssh/index.js';
import { quote } from '../../src/ssh/index.js';
import { withHostShell } from './network-checks.js';

/** A master as the e2e knows it: instance id (its node and etcd member name) and private address. */
export interface HaMaster {
  readonly id: string;
  readonly address: string;
}

/** The running children (not the supervisors) of a master's control plane and etcd. */
export interface MasterPids {
  readonly controlPlane: number | undefined;
  readonly etcd: number | undefined;
}

const supervised = { layout: DEFAULT_HOST_LAYOUT, mode: 'supervised' as const };

async function childPid(shell: SshShell, service: string): Promise<number | undefined> {
  const status = await serviceStatus(shell, service, supervised);
  return status.running ? status.childPid : undefined;
}

/** The PIDs of the master's control-plane and etcd processes now, and when each started (epoch ms, whole seconds). */
export function masterPids(
  state: string,
  master: HaMaster,
): Promise<MasterPids & { startedAt: { controlPlane: number; etcd: number } }> {
  return withHostShell(state, master.address, async (shell) => {
    const controlPlane = await childPid(shell, CONTROL_PLANE_SERVICE);
    const etcd = await childPid(shell, ETCD_SERVICE);
    // `ps -o etimes` is the age in seconds (one ps per PID: ps lists in PID order); start = now - age.
    const r = await shell.exec(
      `for p in ${controlPlane ?? 0} ${etcd ?? 0}; do a=$(ps -o etimes= -p "$p"); echo "\${a:-x}"; done; date +%s`,
    );
    const [cpAge, etcdAge, now] = r.stdout.trim().split(/\s+/).map(Number);
    const startOf = (age: number | undefined) =>
      age !== undefined && Number.isFinite(age) && now ? (now - age) * 1000 : 0;
    return { controlPlane, etcd, startedAt: { controlPlane: startOf(cpAge), etcd: startOf(etcdAge) } };
  });
}

/**
 * SIGKILLs the master's control-plane and etcd processes at once (one shell command), as a crash
 * of the master's software would: the supervisors stay and restart them. Returns the PIDs killed,
 * `at` (`performance.now()`) and `wall` (`Date.now()`), both taken just before the kill command is
 * sent on an open session: the SSH connection and the PID lookup come before, so they do not count
 * as outage; the command lands one SSH round trip later.
 */
export async function killMaster(
  state: string,
  master: HaMaster,
): Promise<MasterPids & { at: number; wall: number }> {
  return withHostShell(state, master.address, async (shell) => {
    const pids = {
      controlPlane: await childPid(shell, CONTROL_PLANE_SERVICE),
      etcd: await childPid(shell, ETCD_SERVICE),
    };
    if (!pids.controlPlane || !pids.etcd)
      throw new Error(`${master.id}: not running: ${JSON.stringify(pids)}`);
    const at = performance.now();
    const wall = Date.now();
    const r = await shell.exec(`kill -KILL ${pids.controlPlane} ${pids.etcd}`);
    if (r.code !== 0) throw new Error(`${master.id}: kill failed (${r.code}): ${r.stderr}`);
    return { ...pids, at, wall };
  });
}

/** The Node.js runtime bootstrap installed on the host (etcdClusterHealth runs its calls with it). */
async function hostNode(shell: SshShell): Promise<string> {
  const r = await shell.exec(`ls -d ${quote(DEFAULT_HOST_LAYOUT.opt)}/runtime/*/bin/node | head -n 1`);
  const path = r.stdout.trim();
  if (r.code !== 0 || !path) throw new Error(`no Node.js runtime on the host: ${r.stderr}`);
  return path;
}

/** etcd's health asked from `from` (2379 is open between masters only) with its member certificate. */
export function etcdHealthFrom(
  state: string,
  from: HaMaster,
  masters: readonly HaMaster[],
): Promise<EtcdClusterHealth> {
  return withHostShell(state, from.address, async (shell) =>
    etcdClusterHealth(shell, {
      members: masters.map((m) => ({ name: m.id, address: m.address })),
      layout: DEFAULT_HOST_LAYOUT,
      nodePath: await hostNode(shell),
      timeoutMs: 5_000,
    }),
  );
}

/**
 * Makes `target` etcd's leader (etcdctl move-leader, sent to the current leader `leader` from its
 * own host), so the kill takes the leader with it: the worst case for the writes in flight.
 */
export async function moveEtcdLeader(state: string, leader: HaMaster, targetMemberId: string): Promise<void> {
  const p = etcdPaths(DEFAULT_HOST_LAYOUT);
  const hex = BigInt(targetMemberId).toString(16);
  await withHostShell(state, leader.address, async (shell) => {
    const r = await shell.exec(
      `ETCDCTL_API=3 etcdctl --endpoints ${quote(`https://${leader.address}:2379`)} --cacert ${quote(p.ca)} --cert ${quote(p.cert)} --key ${quote(p.key)} move-leader ${quote(hex)}`,
    );
    if (r.code !== 0)
      throw new Error(`etcdctl move-leader ${hex} on ${leader.id} failed (${r.code}): ${r.stderr}`);
  });
}

/**
 * The raft election lines of a master's etcd log (`became candidate`, `elected leader`, ...) at or
 * after `sinceMs` (epoch ms): how many elections a kill caused, and who started them.
 */
export function etcdElections(state: string, master: HaMaster, sinceMs: number): Promise<string[]> {
  return withHostShell(state, master.address, async (shell) => {
    const log = `${DEFAULT_HOST_LAYOUT.log}/${ETCD_SERVICE}.log`;
    const r = await shell.exec(
      `grep -E 'became (pre-)?candidate|elected leader|became leader|lost leader|rejected MsgVote|ignored MsgVote' ${quote(log)} | tail -n 40`,
    );
    // etcd 3.4's raft lines read `raft2026/12/03 17:59:11 INFO: ...` (whole seconds, UTC here).
    const since = new Date(sinceMs - 1_000).toISOString().slice(0, 19);
    return r.stdout.split('\n').flatMap((line) => {
      const m = /(\d{4})\/(\d\d)\/(\d\d) (\d\d:\d\d:\d\d) INFO: (?:raft\.node: )?(.*)$/.exec(line);
      if (!m || `${m[1]}-${m[2]}-${m[3]}T${m[4]}` < since) return [];
      return [`${m[4]} ${m[5]}`];
    });
  });
}
