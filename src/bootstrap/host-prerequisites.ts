import { RemoteCommandError, TugboatError } from '../errors.js';
import { type EventSink, silentEvents } from '../events.js';
import { type RemoteShell, runChecked } from '../ssh/remote-shell.js';
import {
  buildInstallPlan,
  emitInstallEvents,
  type InstallPlan,
  type InstallStep,
  nodeTooOldHint,
} from './install-packages.js';
import {
  checkPreflight,
  missingNetworkTools,
  NETWORK_TOOLS,
  nodeMajor,
  type PreflightReport,
  type RunPreflightOptions,
  runPreflight,
} from './preflight.js';

/** Options for {@link ensureHostPrerequisites}. */
export interface HostPrerequisitesOptions extends RunPreflightOptions {
  /**
   * Install what is missing (Node.js, Docker and network tools when required) with the host's package manager. When
   * false, a missing prerequisite fails the host with what to install. @default true
   */
  readonly install?: boolean;
  /** Limit for each install command (package downloads can be slow). @default 600000 */
  readonly installTimeoutMs?: number;
  /** @default silentEvents */
  readonly events?: EventSink;
  readonly signal?: AbortSignal;
}

/** What {@link ensureHostPrerequisites} found and did. */
export interface HostPrerequisitesResult extends PreflightReport {
  /** Packages installed on the host (empty when it had everything). */
  readonly installed: readonly string[];
}

/**
 * The per-host preflight: checks the host (OS, architecture, Node.js, Docker, network tools, disk,
 * clock), installs Node.js, Docker and `iptables`/`ip`/`conntrack` when they are missing, with the host's own package manager (through `sudo -n`
 * when the login user is not root), starts Docker where systemd runs, and checks again. Throws
 * `PREFLIGHT_FAILED` listing every problem left, each with how to fix it, and a RemoteCommandError
 * (step, exit code, stderr tail) when an install command fails. A host that has everything installs
 * nothing.
 */
export async function ensureHostPrerequisites(
  shell: RemoteShell,
  options: HostPrerequisitesOptions,
): Promise<HostPrerequisitesResult> {
  const events = options.events ?? silentEvents;
  const minNode = options.minNodeMajor ?? 20;
  const first = await runPreflight(shell, options);
  const facts = first.facts;
  const needs = {
    node: options.requireNode !== false && nodeMajor(facts.nodeVersion) < minNode,
    docker: Boolean(options.requireDocker) && !facts.dockerInstalled,
    startDocker: Boolean(options.requireDocker) && !facts.dockerVersion,
    networkTools: options.requireNetworkTools ? missingNetworkTools(facts) : [],
  };
  if (first.problems.length === 0) return { ...first, installed: [] };
  // Problems an install cannot fix (OS, disk, clock...) fail the host before anything changes.
  const others = checkPreflight(
    {
      ...facts,
      nodeVersion: `v${minNode}.0.0`,
      dockerInstalled: true,
      dockerVersion: 'present',
      netTools: NETWORK_TOOLS,
    },
    options,
  );
  const plan = buildInstallPlan(facts, needs);
  if (options.install === false || others.length > 0) fail(shell.host, first.problems);
  if (plan.problems.length > 0) fail(shell.host, [...first.problems, ...plan.problems]);
  if (plan.steps.length === 0) fail(shell.host, first.problems);
  await runPlan(shell, plan, options, events);
  const second = await runPreflight(shell, options);
  const installed = plan.steps.flatMap((s) => s.packages);
  if (second.problems.length > 0) {
    const problems = second.problems.map((p) =>
      needs.node && /^node /.test(p) ? nodeTooOldHint(second.facts, plan.manager, minNode) : p,
    );
    fail(shell.host, problems);
  }
  return { ...second, installed };
}

function fail(host: string, problems: readonly string[]): never {
  throw new TugboatError('PREFLIGHT_FAILED', `${host}: preflight failed:\n  ${problems.join('\n  ')}`, {
    exitCode: 4,
  });
}

async function runPlan(
  shell: RemoteShell,
  plan: InstallPlan,
  options: HostPrerequisitesOptions,
  events: EventSink,
): Promise<void> {
  if (plan.sudo) await checkSudo(shell, options);
  for (const step of plan.steps) {
    emitInstallEvents(events, shell.host, plan.manager, step);
    await runStep(shell, step, options);
  }
}

function runStep(shell: RemoteShell, step: InstallStep, options: HostPrerequisitesOptions) {
  return runChecked(shell, step.command, {
    step: step.step,
    timeoutMs: options.installTimeoutMs ?? 600_000,
    ...(options.signal ? { signal: options.signal } : {}),
  });
}

/** `sudo -n true`: fails clearly, before any install, when sudo would ask for a password. */
async function checkSudo(shell: RemoteShell, options: HostPrerequisitesOptions): Promise<void> {
  try {
    await runChecked(shell, 'sudo -n true', { step: 'sudo check', timeoutMs: options.timeoutMs ?? 60_000 });
  } catch (err) {
    if (!(err instanceof RemoteCommandError)) throw err;
    throw new TugboatError(
      'PREFLIGHT_FAILED',
      `${shell.host}: the login user is not root and \`sudo -n true\` failed (exit ${err.remoteExitCode}: ${err.stderrTail.trim().split('\n').pop() ?? ''}), so tugboat cannot install packages: allow passwordless sudo for it (NOPASSWD in /etc/sudoers.d), log in as root, or install what is missing yourself`,
      { exitCode: 4, cause: err },
    );
  }
}

/**
 * {@link ensureHostPrerequisites}, and the service mode it implies: preflight already knows the
 * init system, which saves a round trip per host.
 */
export async function preflightWithMode(
  shell: RemoteShell,
  options: HostPrerequisitesOptions,
): Promise<{ facts: HostPrerequisitesResult['facts']; mode: 'systemd' | 'supervised' }> {
  const report = await ensureHostPrerequisites(shell, options);
  return { facts: report.facts, mode: report.facts.systemd ? 'systemd' : 'supervised' };
}
