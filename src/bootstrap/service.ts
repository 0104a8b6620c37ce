import { type EventSink, silentEvents } from '../events.js';
import { quote, sh } from '../ssh/quote.js';
import { type RemoteShell, runChecked } from '../ssh/remote-shell.js';
import { type HostLayout, layoutDirectories } from './layout.js';
import {
  renderSupervisorScript,
  renderSystemdUnit,
  type ServiceSpec,
  servicePaths,
} from './service-units.js';

/** How a service is kept running on a host. */
export type ServiceMode = 'systemd' | 'supervised';

/** Options shared by the service functions. */
export interface ServiceOptions {
  readonly layout: HostLayout;
  /** `auto` uses systemd when it is PID 1, otherwise a supervised background process. @default 'auto' */
  readonly mode?: ServiceMode | 'auto';
  /** @default silentEvents */
  readonly events?: EventSink;
}

/** Options for {@link installService}. */
export interface InstallServiceOptions extends ServiceOptions {
  /** Rewrite the definition and restart even when the same one is installed and running. @default false */
  readonly force?: boolean;
}

/** What {@link installService} did. */
export interface InstallResult {
  readonly mode: ServiceMode;
  /** False when the same definition was already installed and running (nothing was touched). */
  readonly changed: boolean;
}

/** A service's state on a host. */
export interface ServiceStatus {
  readonly mode: ServiceMode;
  readonly running: boolean;
  /** The supervisor's PID (supervised mode, when running). */
  readonly pid?: number;
  /** The service process's PID (supervised mode, when running). */
  readonly childPid?: number;
}

/**
 * Shell helpers: `alive PID` is true for a live, non-zombie process (PID 1 may reap orphans late);
 * `ours PID SCRIPT` also checks the process runs SCRIPT, so a recycled PID is not mistaken for ours.
 */
const HELPERS = [
  'alive() { s=$(sed \'s/^.*) //\' "/proc/$1/stat" 2>/dev/null | cut -c1); [ -n "$s" ] && [ "$s" != Z ]; }',
  'ours() { alive "$1" && tr \'\\0\' \' \' < "/proc/$1/cmdline" 2>/dev/null | grep -qF -- "$2"; }',
].join('\n');

/** Detects the host's init system. */
export async function detectServiceMode(shell: RemoteShell): Promise<ServiceMode> {
  const r = await runChecked(shell, 'cat /proc/1/comm 2>/dev/null || true', { step: 'detect init system' });
  return r.stdout.trim() === 'systemd' ? 'systemd' : 'supervised';
}

async function resolveMode(shell: RemoteShell, options: ServiceOptions): Promise<ServiceMode> {
  const mode = options.mode ?? 'auto';
  return mode === 'auto' ? detectServiceMode(shell) : mode;
}

/** Creates the host layout directories (/etc/tugboat 0700). Idempotent. */
export async function ensureHostLayout(shell: RemoteShell, layout: HostLayout): Promise<void> {
  await runChecked(
    shell,
    sh`umask 022 && mkdir -p ${[...layoutDirectories(layout), `${layout.opt}/bin`, `${layout.opt}/bundles`]} && chmod 0700 ${layout.etc}`,
    { step: 'create host directories' },
  );
}

/** Reports whether a service runs. */
export async function serviceStatus(
  shell: RemoteShell,
  name: string,
  options: ServiceOptions,
): Promise<ServiceStatus> {
  const mode = await resolveMode(shell, options);
  if (mode === 'systemd') {
    const r = await shell.exec(sh`systemctl is-active --quiet ${name}`);
    return { mode, running: r.code === 0 };
  }
  const p = servicePaths(options.layout, name);
  const r = await runChecked(
    shell,
    `${HELPERS}
pid=$(cat ${quote(p.pidfile)} 2>/dev/null || true)
child=$(cat ${quote(p.childPidfile)} 2>/dev/null || true)
if [ -n "$pid" ] && ours "$pid" ${quote(p.supervisor)}; then echo "running $pid $child"; else echo stopped; fi`,
    { step: `status of ${name}` },
  );
  const [state, pid, child] = r.stdout.trim().split(' ');
  if (state !== 'running') return { mode, running: false };
  return { mode, running: true, pid: Number(pid), ...(child ? { childPid: Number(child) } : {}) };
}

/** Stops a service and waits (bounded) until its processes are gone. Idempotent. */
export async function stopService(shell: RemoteShell, name: string, options: ServiceOptions): Promise<void> {
  const mode = await resolveMode(shell, options);
  const p = servicePaths(options.layout, name);
  if (mode === 'systemd') {
    await runChecked(shell, sh`if [ -f ${p.unit} ]; then systemctl disable --now ${name}; fi`, {
      step: `stop ${name}`,
    });
    return;
  }
  await runChecked(
    shell,
    `${HELPERS}
script=${quote(p.supervisor)}
pid=$(cat ${quote(p.pidfile)} 2>/dev/null || true)
child=$(cat ${quote(p.childPidfile)} 2>/dev/null || true)
if [ -n "$pid" ] && ours "$pid" "$script"; then
  kill -TERM "$pid" 2>/dev/null
  i=0; while [ $i -lt 100 ] && ours "$pid" "$script"; do sleep 0.1; i=$((i+1)); done
  if ours "$pid" "$script"; then kill -KILL "$pid" 2>/dev/null; fi
fi
if [ -n "$child" ] && alive "$child"; then
  kill -TERM "$child" 2>/dev/null
  i=0; while [ $i -lt 50 ] && alive "$child"; do sleep 0.1; i=$((i+1)); done
  kill -KILL "$child" 2>/dev/null || true
fi
rm -f ${quote(p.pidfile)} ${quote(p.childPidfile)}`,
    { step: `stop ${name}`, timeoutMs: 60_000 },
  );
}

/**
 * One round trip: creates the layout directories, reports whether the service runs and returns
 * the definition installed at `target` (undefined when absent).
 */
async function probeService(
  shell: RemoteShell,
  name: string,
  target: string,
  layout: HostLayout,
  mode: ServiceMode,
): Promise<{ running: boolean; installed?: string }> {
  const p = servicePaths(layout, name);
  const dirs = [...layoutDirectories(layout), `${layout.opt}/bin`, `${layout.opt}/bundles`];
  const status =
    mode === 'systemd'
      ? sh`if systemctl is-active --quiet ${name}; then echo running; else echo stopped; fi`
      : `pid=$(cat ${quote(p.pidfile)} 2>/dev/null || true)
if [ -n "$pid" ] && ours "$pid" ${quote(p.supervisor)}; then echo running; else echo stopped; fi`;
  const r = await runChecked(
    shell,
    `${HELPERS}
${sh`umask 022 && mkdir -p ${dirs} && chmod 0700 ${layout.etc}`} || exit 1
${status}
if [ -f ${quote(target)} ]; then echo present; cat ${quote(target)}; else echo absent; fi`,
    { step: `inspect ${name}` },
  );
  const [state, presence] = r.stdout.split('\n', 2);
  const rest = r.stdout.slice((state?.length ?? 0) + (presence?.length ?? 0) + 2);
  return { running: state === 'running', ...(presence === 'present' ? { installed: rest } : {}) };
}

/**
 * Starts a supervisor script in its own session and waits (bounded) until its pidfile names it.
 * With `script`, first writes it (0700, from stdin) in the same round trip.
 */
async function startSupervisor(
  shell: RemoteShell,
  name: string,
  layout: HostLayout,
  script?: string,
): Promise<void> {
  const p = servicePaths(layout, name);
  const tmp = quote(`${p.supervisor}.tmp`);
  const write =
    script === undefined
      ? ''
      : `(umask 077 && cat > ${tmp}) && chmod 700 ${tmp} && mv -f ${tmp} ${quote(p.supervisor)} || exit 1\n`;
  // setsid: the supervisor leaves this SSH session, so neither the session's end nor a kill of
  // this command's process group reaches it.
  await runChecked(
    shell,
    `${HELPERS}
${write}rm -f ${quote(p.pidfile)}
setsid /bin/sh ${quote(p.supervisor)} </dev/null >/dev/null 2>&1 &
i=0; while [ $i -lt 100 ] && [ ! -s ${quote(p.pidfile)} ]; do sleep 0.1; i=$((i+1)); done
pid=$(cat ${quote(p.pidfile)} 2>/dev/null || true)
if [ -z "$pid" ] || ! ours "$pid" ${quote(p.supervisor)}; then echo "supervisor did not start; see ${p.log}" >&2; tail -n 20 ${quote(p.log)} >&2 2>/dev/null; exit 1; fi`,
    { step: `start ${name}`, timeoutMs: 60_000, ...(script === undefined ? {} : { stdin: script }) },
  );
}

/** Restarts an installed service (after its certificates or bundle changed). */
export async function restartService(
  shell: RemoteShell,
  name: string,
  options: ServiceOptions,
): Promise<void> {
  const mode = await resolveMode(shell, options);
  if (mode === 'systemd') {
    await runChecked(shell, sh`systemctl restart ${name}`, { step: `restart ${name}` });
  } else {
    await stopService(shell, name, { ...options, mode });
    await startSupervisor(shell, name, options.layout);
  }
  (options.events ?? silentEvents).emit({
    code: 'service.restarted',
    level: 'info',
    message: `${shell.host}: ${name} restarted (${mode})`,
    data: { host: shell.host, service: name, mode },
  });
}

/**
 * Installs and starts a service: a systemd unit where systemd is PID 1, otherwise a supervised
 * background process (pidfile, restart with back-off). Idempotent: an identical definition that is
 * already running is left alone; a changed one is replaced and restarted.
 */
export async function installService(
  shell: RemoteShell,
  spec: ServiceSpec,
  options: InstallServiceOptions,
): Promise<InstallResult> {
  const events = options.events ?? silentEvents;
  const mode = await resolveMode(shell, options);
  const p = servicePaths(options.layout, spec.name);
  const content =
    mode === 'systemd'
      ? renderSystemdUnit(spec, options.layout)
      : renderSupervisorScript(spec, options.layout);
  const target = mode === 'systemd' ? p.unit : p.supervisor;
  const before = await probeService(shell, spec.name, target, options.layout, mode);
  if (!options.force && before.running && before.installed === content) {
    events.emit({
      code: 'service.unchanged',
      level: 'debug',
      message: `${shell.host}: ${spec.name} is already installed and running`,
      data: { host: shell.host, service: spec.name, mode },
    });
    return { mode, changed: false };
  }
  if (mode === 'systemd') {
    await runChecked(shell, sh`mkdir -p ${options.layout.systemdUnitDir}`, { step: `install ${spec.name}` });
    await shell.upload(Buffer.from(content), p.unit, 0o644);
    await runChecked(
      shell,
      sh`systemctl daemon-reload && systemctl enable ${spec.name} && systemctl restart ${spec.name}`,
      {
        step: `start ${spec.name}`,
      },
    );
  } else {
    if (before.running) await stopService(shell, spec.name, { ...options, mode });
    // Script and start in one round trip (an SFTP upload alone costs several).
    await startSupervisor(shell, spec.name, options.layout, content);
  }
  events.emit({
    code: 'service.installed',
    level: 'info',
    message: `${shell.host}: ${spec.name} ${before.running ? 'updated and restarted' : 'installed and started'} (${mode})`,
    data: { host: shell.host, service: spec.name, mode },
  });
  return { mode, changed: true };
}

/** Stops a service and removes its unit or supervisor script (the rest of the layout stays). */
export async function removeService(
  shell: RemoteShell,
  name: string,
  options: ServiceOptions,
): Promise<void> {
  const mode = await resolveMode(shell, options);
  await stopService(shell, name, { ...options, mode });
  const p = servicePaths(options.layout, name);
  const reload = mode === 'systemd' ? ' && systemctl daemon-reload' : '';
  await runChecked(shell, `${sh`rm -f ${p.unit} ${p.supervisor}`}${reload}`, { step: `remove ${name}` });
}
