import { TugboatError } from '../errors.js';
import { compareVersions, minorsBehind, parseVersion, type Version } from './versions.js';

/** One host and the tugboat version it reports (undefined: it reports none, e.g. not running). */
export interface HostVersion {
  readonly name: string;
  readonly role: 'master' | 'worker';
  readonly version: string | undefined;
}

/** One host to reinstall: from its reported version to the target. */
export interface HostChange {
  readonly name: string;
  readonly from: string;
  readonly to: string;
}

/** One step of the roll: a master alone, or a batch of workers drained together. */
export interface UpgradeStep {
  readonly role: 'master' | 'worker';
  readonly hosts: readonly HostChange[];
}

/** The order in which `tugboat upgrade` reinstalls hosts. */
export interface UpgradePlan {
  readonly target: string;
  readonly steps: readonly UpgradeStep[];
  /** Hosts already at the target (a re-run after Ctrl-C skips them). */
  readonly upToDate: readonly string[];
  /** True when the target is older than some host: workers go first (agents never ahead of the API). */
  readonly downgrade: boolean;
}

/** Options of {@link buildUpgradePlan}. */
export interface UpgradePlanOptions {
  readonly target: string;
  /** Workers drained and reinstalled at once. @default 1 */
  readonly maxUnavailable?: number;
  /** Allow a target older than what a host runs. @default false */
  readonly allowDowngrade?: boolean;
}

/** The upgrade cannot go as asked (a downgrade without the flag, too much version skew, a bad version). */
export class UpgradeRefusedError extends TugboatError {
  constructor(message: string) {
    super('UPGRADE_REFUSED', message, { exitCode: 2 });
  }
}

/**
 * Plans a roll to `target` from the versions the hosts report. Pure. Masters go one at a time, then
 * workers in batches of `maxUnavailable`; a downgrade reverses that, so agents are never newer
 * than the control plane. Refuses a downgrade without `allowDowngrade`, and a roll during which an
 * agent would be more than one minor behind the control plane (upgrade in steps instead).
 */
export function buildUpgradePlan(hosts: readonly HostVersion[], options: UpgradePlanOptions): UpgradePlan {
  const target = parseVersion(options.target);
  if (!target) throw new UpgradeRefusedError(`--to-version ${options.target}: not a version like 1.2.3`);
  const batch = options.maxUnavailable ?? 1;
  if (!Number.isInteger(batch) || batch < 1)
    throw new UpgradeRefusedError(`--max-unavailable ${batch}: must be a whole number of at least 1`);
  const parsed = hosts.map((h) => ({ ...h, parsed: h.version ? parseVersion(h.version) : undefined }));
  const older = parsed.filter((h) => h.parsed && compareVersions(target, h.parsed) < 0);
  if (older.length > 0 && !options.allowDowngrade) {
    const h = older[0]!;
    throw new UpgradeRefusedError(
      `${target.text} is older than ${h.parsed!.text} on ${h.role} ${h.name}: refusing a downgrade; pass --allow-downgrade to roll back on purpose`,
    );
  }
  const downgrade = older.length > 0;
  const pending = parsed.filter((h) => !h.parsed || compareVersions(target, h.parsed) !== 0);
  checkSkew(parsed, target, downgrade);
  const change = (h: (typeof parsed)[number]): HostChange => ({
    name: h.name,
    from: h.version ?? 'unknown',
    to: target.text,
  });
  const masters: UpgradeStep[] = pending
    .filter((h) => h.role === 'master')
    .map((h) => ({ role: 'master', hosts: [change(h)] }));
  const workers = pending.filter((h) => h.role === 'worker');
  const workerSteps: UpgradeStep[] = [];
  for (let i = 0; i < workers.length; i += batch)
    workerSteps.push({ role: 'worker', hosts: workers.slice(i, i + batch).map(change) });
  return {
    target: target.text,
    steps: downgrade ? [...workerSteps, ...masters] : [...masters, ...workerSteps],
    upToDate: parsed.filter((h) => !pending.includes(h)).map((h) => h.name),
    downgrade,
  };
}

/**
 * Kubernetes' skew policy for the roll: while the control plane runs `target` and an agent its
 * current version (upgrade), or the control plane its current version and an agent `target`
 * (downgrade), the agent may be at most one minor behind and never ahead.
 */
function checkSkew(
  hosts: readonly (HostVersion & { parsed: Version | undefined })[],
  target: Version,
  downgrade: boolean,
): void {
  const masters = hosts.filter((h) => h.role === 'master' && h.parsed);
  for (const w of hosts.filter((h) => h.role === 'worker' && h.parsed)) {
    const pairs = downgrade
      ? masters.map((m) => [target, m.parsed!, `${m.name} (${m.parsed!.text})`] as const)
      : [[w.parsed!, target, `the control plane at ${target.text}`] as const];
    for (const [agent, controlPlane, what] of pairs) {
      if (minorsBehind(agent, controlPlane) > 1)
        throw new UpgradeRefusedError(
          `worker ${w.name} would run ${agent.text} against ${what}, more than one minor behind: upgrade one minor at a time (to ${controlPlane.major}.${agent.minor + 1}.x first)`,
        );
    }
  }
}

/** The plan as `--dry-run` prints it: one line per host, in order. Pure. */
export function renderUpgradePlan(plan: UpgradePlan): string {
  const lines = [`upgrade to ${plan.target}${plan.downgrade ? ' (downgrade: workers first)' : ''}:`];
  if (plan.steps.length === 0) lines.push('  nothing to do: every host runs the target');
  plan.steps.forEach((step, i) => {
    const what = step.role === 'master' ? 'master' : `workers (drain, reinstall, uncordon)`;
    lines.push(`  step ${i + 1}: ${what}`);
    for (const h of step.hosts) lines.push(`    ${h.name}: ${h.from} -> ${h.to}`);
  });
  if (plan.upToDate.length > 0) lines.push(`  already at ${plan.target}: ${plan.upToDate.join(', ')}`);
  return lines.join('\n');
}
