import type { EventSink } from '../events.js';
import type { RemoteShell } from '../ssh/remote-shell.js';
import { type HostFile, type SyncResult, syncHostFiles } from './host-files.js';
import type { HostLayout } from './layout.js';
import { installService, restartService, type ServiceMode } from './service.js';
import type { ServiceSpec } from './service-units.js';

/** What installing a service on one host did. */
export interface HostInstallResult {
  readonly mode: ServiceMode;
  readonly filesUploaded: number;
  readonly bytesUploaded: number;
  /** False when the service definition was already installed and running. */
  readonly serviceChanged: boolean;
}

/** Options for {@link installHostService}. */
export interface HostServiceOptions {
  readonly layout: HostLayout;
  /** @default 'auto' (systemd where it is PID 1, else a supervised process) */
  readonly mode?: ServiceMode | 'auto';
  /** @default silentEvents */
  readonly events?: EventSink;
  /**
   * The result of syncing `files` already (the caller uploaded them earlier, e.g. while the
   * master started): they are not compared again. @default sync them now
   */
  readonly presynced?: SyncResult;
  /**
   * Reinstall even when the host already has the same files and service: upload every file again,
   * rewrite the service definition and restart it (`--force`). @default false
   */
  readonly force?: boolean;
}

/**
 * Uploads what differs of `files`, then installs or updates the service `spec`. New files under an
 * unchanged definition (a new bundle, re-issued certificates) still need a restart, so the
 * service is restarted then. Idempotent: a second run uploads and restarts nothing, unless `force`.
 */
export async function installHostService(
  shell: RemoteShell,
  files: readonly HostFile[],
  spec: ServiceSpec,
  options: HostServiceOptions,
): Promise<HostInstallResult> {
  const force = options.force ?? false;
  const sync = options.presynced ?? (await syncHostFiles(shell, files, { events: options.events, force }));
  const service = await installService(shell, spec, {
    layout: options.layout,
    mode: options.mode ?? 'auto',
    events: options.events,
    force,
  });
  let changed = service.changed;
  if (!changed && sync.uploaded.length > 0) {
    await restartService(shell, spec.name, {
      layout: options.layout,
      mode: service.mode,
      events: options.events,
    });
    changed = true;
  }
  return {
    mode: service.mode,
    filesUploaded: sync.uploaded.length,
    bytesUploaded: sync.bytes,
    serviceChanged: changed,
  };
}
