/**
 * What the lost-quorum recovery e2e does on a master, as its operator would on the host (over
 * tugboat's SSH layer, host keys checked against the cluster's known_hosts): stop a tugboat
 * service (`systemctl stop` where systemd runs; the hosts here supervise their services, so the
 * product's own stop, which is what `tugboat uninstall` uses) and move etcd's data directory aside,
 * as a lost disk would leave the member.
 */

import {
  CONTROL_PLANE_SERVICE,
  DEFAULT_HOST_LAYOUT,
  ETCD_SERVICE,
  etcdPaths,
  stopService,
} from '../../src/bootstrap/index.js';
import { readControlPlaneDefinition } from '../../src/cluster/restore-master.js';
import { flagValue, parseServiceCommand } from '../../src/cluster/service-argv.js';
import { quote } from '../../src/ssh/index.js';
import { type CliRun, runCli } from '../support/cli.js';
import { waitFor } from '../support/wait.js';
import type { HaMaster } from './ha-masters.js';
import { withHostShell } from './network-checks.js';

const supervised = { layout: DEFAULT_HOST_LAYOUT, mode: 'supervised' as const };

/**
 * On `master`: stops the given services (in order), then moves `/var/lib/tugboat/etcd` to
 * `/var/lib/tugboat/etcd.lost-<suffix>` if it is there (a member that lost its disk has none).
 * Returns whether there was one to move.
 */
export function stopAndMoveEtcdData(
  state: string,
  master: HaMaster,
  services: readonly string[],
  suffix: string,
): Promise<boolean> {
  return withHostShell(state, master.address, async (shell) => {
    for (const s of services) await stopService(shell, s, supervised);
    const { dataDir } = etcdPaths(DEFAULT_HOST_LAYOUT);
    const r = await shell.exec(
      `if [ -d ${quote(dataDir)} ]; then mv ${quote(dataDir)} ${quote(`${dataDir}.lost-${suffix}`)} && echo moved; else echo absent; fi`,
    );
    if (r.code !== 0) throw new Error(`${master.id}: cannot move ${dataDir} aside (${r.code}): ${r.stderr}`);
    return r.stdout.trim() === 'moved';
  });
}

/** A zone and a disk lost: the member's etcd stopped and its data gone (the control plane keeps running). */
export const LOSE_MEMBER = [ETCD_SERVICE] as const;

/** The documented recovery's first step on every master: control plane, then etcd. */
export const STOP_MASTER = [CONTROL_PLANE_SERVICE, ETCD_SERVICE] as const;

/** The `--etcd-endpoints` of the master's control-plane service as installed (its supervisor script). */
export function apiServerEtcdEndpoints(state: string, master: HaMaster): Promise<string[]> {
  return withHostShell(state, master.address, async (shell) => {
    const definition = await readControlPlaneDefinition(shell, DEFAULT_HOST_LAYOUT, 'supervised');
    const command = parseServiceCommand(definition, 'supervised');
    return (flagValue(command?.argv ?? [], '--etcd-endpoints') ?? '').split(',').filter(Boolean);
  });
}

/** `tugboat status NAME` (text) once it reports that etcd lost quorum; within 2 min. */
export function waitLostQuorumStatus(env: NodeJS.ProcessEnv, cluster: string): Promise<CliRun> {
  return waitFor(
    async () => {
      const r = await runCli(['status', cluster], { env, cwd: process.cwd() });
      return /etcd has lost quorum/.test(r.stdout) ? r : undefined;
    },
    'tugboat status to report the lost quorum',
    120_000,
    2_000,
  );
}
