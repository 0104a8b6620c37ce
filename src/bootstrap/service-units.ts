import { posix } from 'node:path';
import { quote } from '../ssh/quote.js';
import type { HostLayout } from './layout.js';

/** A long-running tugboat process on a host (the control plane or the node agent). */
export interface ServiceSpec {
  /** Unit / pidfile name, e.g. `tugboat-control-plane`. Lowercase letters, digits and dashes. */
  readonly name: string;
  readonly description: string;
  /** argv: absolute program path first, e.g. ['/usr/bin/node', '/opt/tugboat/bundles/ab12.mjs', '--config', '...']. */
  readonly command: readonly string[];
  /**
   * Non-secret environment (secrets go in 0600 files under /etc/tugboat). Values are limited to
   * characters that mean the same to systemd and sh. @default {}
   */
  readonly env?: Readonly<Record<string, string>>;
  /** @default layout.lib */
  readonly workingDirectory?: string;
  /** Size cap of the log file of a supervised service (systemd hosts log to the journal). @default DEFAULT_LOG_ROTATION */
  readonly logRotation?: LogRotation;
}

/**
 * Size-capped log files where systemd does not run: once `<name>.log` reaches `maxBytes`, it is
 * copied to `<name>.log.1` (older copies shift up to `.<keep>`, the oldest is dropped) and emptied.
 * The service writes with O_APPEND, so it goes on at the start of the emptied file; lines written
 * between the copy and the emptying are lost (logrotate's `copytruncate` has the same window).
 * A service's logs then take at most about (keep + 1) × maxBytes, plus what it writes in one check
 * interval.
 */
export interface LogRotation {
  /** Rotate once the log reaches this size. @default 10 MiB */
  readonly maxBytes: number;
  /** Rotated copies kept. @default 5 */
  readonly keep: number;
  /** How often the size is checked, in seconds. @default 10 */
  readonly checkSeconds: number;
}

/** 10 MiB per file, 5 rotated copies, checked every 10 s. */
export const DEFAULT_LOG_ROTATION: LogRotation = { maxBytes: 10 * 1024 * 1024, keep: 5, checkSeconds: 10 };

const NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;
const ENV_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;
const SAFE_VALUE = /^[A-Za-z0-9_@%+=:,./-]*$/;

/** Throws when a spec could be misread by systemd or sh; messages name the field and value. */
export function validateServiceSpec(spec: ServiceSpec): void {
  if (!NAME.test(spec.name)) {
    throw new Error(`service name "${spec.name}" must be lowercase letters, digits and dashes`);
  }
  const [program] = spec.command;
  if (!program || !posix.isAbsolute(program)) {
    throw new Error(`service ${spec.name}: command[0] "${program ?? ''}" must be an absolute path`);
  }
  for (const arg of spec.command) {
    if (/[\n\r\0]/.test(arg)) {
      throw new Error(
        `service ${spec.name}: argument ${JSON.stringify(arg)} has a newline or NUL: remove it`,
      );
    }
  }
  const rotation = spec.logRotation;
  if (
    rotation &&
    !(
      Number.isInteger(rotation.maxBytes) &&
      rotation.maxBytes >= 1024 &&
      Number.isInteger(rotation.keep) &&
      rotation.keep >= 1 &&
      rotation.keep <= 100 &&
      Number.isInteger(rotation.checkSeconds) &&
      rotation.checkSeconds >= 1
    )
  ) {
    throw new Error(
      `service ${spec.name}: log rotation ${JSON.stringify(rotation)} is invalid: maxBytes must be an integer of at least 1024, keep 1 to 100, checkSeconds at least 1`,
    );
  }
  for (const [key, value] of Object.entries(spec.env ?? {})) {
    if (!ENV_KEY.test(key)) throw new Error(`service ${spec.name}: environment name "${key}" is invalid`);
    if (!SAFE_VALUE.test(value)) {
      throw new Error(
        `service ${spec.name}: environment ${key}=${JSON.stringify(value)} has characters systemd and sh read differently: ` +
          'put the value in a file under /etc/tugboat and pass its path',
      );
    }
  }
}

/** Paths a service uses on a host. */
export function servicePaths(layout: HostLayout, name: string) {
  return {
    unit: posix.join(layout.systemdUnitDir, `${name}.service`),
    supervisor: posix.join(layout.opt, 'bin', `${name}-supervise.sh`),
    pidfile: posix.join(layout.run, `${name}.pid`),
    childPidfile: posix.join(layout.run, `${name}.child.pid`),
    log: posix.join(layout.log, `${name}.log`),
  };
}

/** systemd word quoting: double quotes with `\` and `"` escaped; `%` and `$` doubled so systemd expands nothing. */
export function systemdWord(word: string): string {
  const escaped = word.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/%/g, '%%').replace(/\$/g, '$$$$');
  return `"${escaped}"`;
}

/**
 * A systemd unit that restarts the service whenever it exits. Output goes to the journal
 * (`journalctl -u NAME`), which caps and rotates it (journald's `SystemMaxUse`). Pure.
 */
export function renderSystemdUnit(spec: ServiceSpec, layout: HostLayout): string {
  validateServiceSpec(spec);
  const env = Object.entries(spec.env ?? {}).map(([k, v]) => `Environment=${systemdWord(`${k}=${v}`)}`);
  return [
    '# Written by tugboat; `tugboat uninstall` removes it.',
    '[Unit]',
    `Description=${spec.description.replace(/\n/g, ' ')}`,
    'After=network-online.target docker.service',
    'Wants=network-online.target',
    'StartLimitIntervalSec=0',
    '',
    '[Service]',
    'Type=simple',
    `ExecStart=${spec.command.map(systemdWord).join(' ')}`,
    ...env,
    `WorkingDirectory=${spec.workingDirectory ?? layout.lib}`,
    'Restart=always',
    'RestartSec=2',
    'StandardOutput=journal',
    'StandardError=inherit',
    `SyslogIdentifier=${spec.name}`,
    'UMask=0077',
    '',
    '[Install]',
    'WantedBy=multi-user.target',
    '',
  ].join('\n');
}

/**
 * A POSIX sh supervisor for hosts without systemd: writes its pidfile, runs the service, restarts
 * it with back-off (1 s doubling to 30 s, reset after a minute of uptime), caps its log file
 * ({@link LogRotation}: checked before each start and by a background loop that ends with the
 * supervisor), and on TERM stops the service and exits. Pure.
 */
export function renderSupervisorScript(spec: ServiceSpec, layout: HostLayout): string {
  validateServiceSpec(spec);
  const p = servicePaths(layout, spec.name);
  const env = Object.entries(spec.env ?? {}).map(([k, v]) => `export ${k}=${quote(v)}`);
  const rotation = spec.logRotation ?? DEFAULT_LOG_ROTATION;
  return [
    '#!/bin/sh',
    `# tugboat supervisor for ${spec.name}, written by tugboat; \`tugboat uninstall\` removes it.`,
    'set -u',
    'umask 077',
    ...env,
    `cd ${quote(spec.workingDirectory ?? layout.lib)} || exit 1`,
    `pidfile=${quote(p.pidfile)}`,
    `childfile=${quote(p.childPidfile)}`,
    `log=${quote(p.log)}`,
    'stop=0',
    'child=',
    'sleeper=',
    'rotator=',
    'trap \'stop=1; for p in $child $sleeper $rotator; do kill -TERM "$p" 2>/dev/null; done\' TERM INT HUP',
    'echo $$ > "$pidfile"',
    // Copy, then empty in place: the service's O_APPEND descriptor stays valid.
    'rotate() {',
    '  size=$(wc -c < "$log" 2>/dev/null) || return 0',
    `  [ "$size" -ge ${rotation.maxBytes} ] || return 0`,
    `  i=${rotation.keep}; while [ "$i" -gt 1 ]; do j=$((i - 1)); if [ -f "$log.$j" ]; then mv -f "$log.$j" "$log.$i"; fi; i=$j; done`,
    '  cp -f "$log" "$log.1" && : > "$log"',
    '}',
    'rotate',
    // The loop ends by itself within one interval when the supervisor is gone, even after a KILL.
    `( s=; trap 'kill "$s" 2>/dev/null; exit 0' TERM; while kill -0 $$ 2>/dev/null; do sleep ${rotation.checkSeconds} & s=$!; wait "$s"; rotate; done ) </dev/null >/dev/null 2>&1 &`,
    'rotator=$!',
    'delay=1',
    'while [ "$stop" = 0 ]; do',
    '  started=$(date +%s)',
    `  ${spec.command.map(quote).join(' ')} </dev/null >>"$log" 2>&1 &`,
    '  child=$!',
    '  echo "$child" > "$childfile"',
    // `wait` returns early when a trap runs; wait again until the child has really exited.
    '  status=0; wait "$child" || status=$?',
    '  while kill -0 "$child" 2>/dev/null; do wait "$child" || status=$?; done',
    '  child=',
    '  rm -f "$childfile"',
    '  [ "$stop" = 1 ] && break',
    `  echo "$(date -u +%Y-%m-%dT%H:%M:%SZ) tugboat-supervise: ${spec.name} exited with status $status; restarting in \${delay}s" >>"$log"`,
    '  sleep "$delay" & sleeper=$!',
    '  wait "$sleeper" 2>/dev/null; sleeper=',
    '  if [ $(( $(date +%s) - started )) -ge 60 ]; then delay=1; else delay=$((delay * 2)); fi',
    '  if [ "$delay" -gt 30 ]; then delay=30; fi',
    '  rotate',
    'done',
    'kill -TERM "$rotator" 2>/dev/null',
    'rm -f "$pidfile"',
    '',
  ].join('\n');
}
