import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { S3Api } from '../aws/s3.js';
import { CONTROL_PLANE_SERVICE, controlPlanePaths } from '../bootstrap/control-plane-install.js';
import type { HostLayout } from '../bootstrap/layout.js';
import { detectServiceMode, restartService, type ServiceMode, stopService } from '../bootstrap/service.js';
import { servicePaths } from '../bootstrap/service-units.js';
import {
  type AppliedBackupRestore,
  applyBackupRestore,
  type PreparedBackupRestore,
  type StateTarget,
} from '../control-plane/store/shipping/index.js';
import { DeploymentError, UsageError } from '../errors.js';
import { type EventSink, silentEvents } from '../events.js';
import { quote, sh } from '../ssh/quote.js';
import { type RemoteShell, runChecked } from '../ssh/remote-shell.js';

/** Options of {@link restoreOnMaster}. */
export interface MasterRestoreOptions {
  readonly s3: S3Api;
  readonly target: StateTarget;
  readonly prepared: PreparedBackupRestore;
  /** Names the restore in the generation lease it claims. */
  readonly holder: string;
  readonly layout: HostLayout;
  /** Resolves once the restarted API serves (the caller's health check, bounded). */
  readonly waitReady: () => Promise<void>;
  /** @default detected on the host */
  readonly mode?: ServiceMode;
  /** @default silentEvents */
  readonly events?: EventSink;
  /** Names the set-aside data directory. @default Date.now */
  readonly now?: () => number;
}

/** What {@link restoreOnMaster} did. */
export interface MasterRestoreResult extends AppliedBackupRestore {
  readonly host: string;
  /** Where the master's previous data directory was moved (kept; `uninstall` removes it). */
  readonly setAside?: string;
}

/**
 * Restores a backup into the cluster whose master `shell` reaches: checks that the master's control
 * plane ships to `target` (otherwise, started on an empty data directory, it would come up empty),
 * stops it (its last records ship as it stops), makes the backup the newest store generation
 * (fencing anything still shipping), moves its data directory aside, starts it — it restores the
 * backup from S3 before it serves — and waits for the API. Stop before write: nothing the old
 * master acknowledges can land after the backup. A failure before the write starts the master
 * again as it was.
 */
export async function restoreOnMaster(
  shell: RemoteShell,
  options: MasterRestoreOptions,
): Promise<MasterRestoreResult> {
  const events = options.events ?? silentEvents;
  const { layout, target } = options;
  const mode = options.mode ?? (await detectServiceMode(shell));
  const definition = await readControlPlaneDefinition(shell, layout, mode);
  if (!definition.includes('--state-bucket') || !definition.includes(target.ref.bucket))
    throw new DeploymentError(
      'RESTORE_REFUSED',
      `${shell.host}: the control plane ${definition ? 'does not ship its store to' : 'is not installed here, so it cannot restore from'} s3://${target.ref.bucket}/${target.prefix} (no --state-bucket): started on an empty data directory it would come up empty. Nothing was changed`,
    );
  // An etcd master's bucket holds its backups only: a new store generation there restores nothing.
  if (/--store['"]?\s+['"]?etcd\b/.test(definition))
    throw new DeploymentError(
      'RESTORE_REFUSED',
      `${shell.host}: the control plane keeps its objects in etcd (--store etcd), but the cluster's stack does not say store: etcd (an older stack): run \`tugboat update\` with its spec first, or \`tugboat store restore-etcd\` on the master (docs/ha-masters.md#lost-quorum). Nothing was changed`,
    );
  const service = { layout, mode, events };
  await stopService(shell, CONTROL_PLANE_SERVICE, service);
  events.emit({
    code: 'restore.master-stopped',
    level: 'info',
    message: `${shell.host}: control plane stopped`,
  });
  let applied: AppliedBackupRestore;
  try {
    // Stopped here, after the plan: its writes since (leases, heartbeats) are replaced anyway.
    applied = await applyBackupRestore(options.s3, target, options.prepared, options.holder, {
      masterStopped: true,
    });
  } catch (err) {
    await start(shell, mode, service);
    throw err;
  }
  const dataDir = controlPlanePaths(layout, '').dataDir;
  const setAside = `${dataDir}.before-restore-${options.prepared.plan.backup.name}-${options.now?.() ?? Date.now()}`;
  const moved = await runChecked(
    shell,
    sh`if [ -e ${dataDir} ]; then mv ${dataDir} ${setAside} && echo moved; fi`,
    { step: 'set the old data directory aside' },
  );
  await start(shell, mode, service);
  await options.waitReady();
  events.emit({
    code: 'restore.done',
    level: 'info',
    message: `${shell.host}: control plane serves backup ${options.prepared.plan.backup.name} as generation ${applied.generation} from revision ${applied.revision}`,
    data: { ...applied },
  });
  return { ...applied, host: shell.host, ...(moved.stdout.includes('moved') ? { setAside } : {}) };
}

/** The control plane's systemd unit or supervisor script on the host, empty when it is not installed. */
export async function readControlPlaneDefinition(
  shell: RemoteShell,
  layout: HostLayout,
  mode: ServiceMode,
): Promise<string> {
  const p = servicePaths(layout, CONTROL_PLANE_SERVICE);
  const file = mode === 'systemd' ? p.unit : p.supervisor;
  return (
    await runChecked(shell, `cat ${quote(file)} 2>/dev/null || true`, {
      step: 'read the control plane service',
    })
  ).stdout;
}

/** Starts the control plane again after a restore stopped it (systemd: enabled again, so it survives reboots). */
export async function start(
  shell: RemoteShell,
  mode: ServiceMode,
  options: { layout: HostLayout; events: EventSink },
): Promise<void> {
  // stopService disabled the unit; enable it again so it also comes back after a reboot.
  if (mode === 'systemd')
    await runChecked(shell, sh`systemctl enable --now ${CONTROL_PLANE_SERVICE}`, {
      step: `start ${CONTROL_PLANE_SERVICE}`,
    });
  else await restartService(shell, CONTROL_PLANE_SERVICE, { ...options, mode });
}

/** The cluster CA on this machine (restore checks the restarted API servers against it). */
export function readCa(stateDir: string, cluster: string): string {
  try {
    return readFileSync(join(stateDir, 'pki', 'ca.crt'), 'utf8');
  } catch {
    throw new UsageError(
      `${join(stateDir, 'pki', 'ca.crt')} cannot be read: restore checks the restarted API against the cluster CA; run it on the machine that created ${cluster} (its CA is kept there)`,
    );
  }
}
