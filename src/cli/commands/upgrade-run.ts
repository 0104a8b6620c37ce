import { resolve } from 'node:path';
import {
  type HostBundle,
  renderUpgradePlan,
  runtimeCacheDir,
  runUpgrade,
  type UpgradeResult,
  UsageError,
  upgradeRunningCluster,
} from '../../index.js';
import { confirm } from '../support/confirm.js';
import { type CliIO, cliStateRoot, EXIT_DECLINED, type GlobalOptions } from '../support/context.js';
import { parseDuration } from '../support/duration.js';
import { printResult } from '../support/output.js';
import { withDeadline } from '../support/timeout.js';
import { loadBundle, loadInventory, stderrEvents } from './bootstrap-run.js';
import { withCluster } from './cluster-hosts-run.js';
import type { UpgradeFlags } from './upgrade.js';

function maxUnavailable(flag: string): number {
  const n = Number(flag);
  if (!Number.isInteger(n) || n < 1)
    throw new UsageError(`--max-unavailable "${flag}" must be a whole number of at least 1`);
  return n;
}

/** Plans or rolls, for a cluster NAME (hosts from its stack) or an inventory file. */
async function roll(
  io: CliIO,
  globals: GlobalOptions,
  name: string | undefined,
  flags: UpgradeFlags,
  bundle: HostBundle,
  dryRun: boolean,
): Promise<UpgradeResult> {
  const common = {
    bundle,
    ...(flags.toVersion ? { target: flags.toVersion } : {}),
    maxUnavailable: maxUnavailable(flags.maxUnavailable),
    allowDowngrade: Boolean(flags.allowDowngrade),
    dryRun,
    trustNewHosts: Boolean(flags.trustNewHosts),
    drain: {
      force: Boolean(flags.force),
      deleteEmptyDirData: Boolean(flags.deleteEmptydirData),
      timeoutMs: parseDuration(flags.drainTimeout ?? '5m', '--drain-timeout'),
    },
  };
  if (name) {
    return withCluster(io, globals, name, flags, (s, access) =>
      upgradeRunningCluster({ ...access, ...common, aws: s.aws, events: s.events, signal: s.signal }),
    );
  }
  const { inventory, stateDir } = await loadInventory(io, flags.inventory!);
  const controller = new AbortController();
  const ms = flags.timeout === undefined ? undefined : parseDuration(flags.timeout);
  return withDeadline(
    { controller, ...(ms === undefined ? {} : { ms, text: flags.timeout }) },
    stderrEvents(io, globals),
    (events) =>
      runUpgrade({
        ...common,
        inventory,
        stateDir,
        runtimeCache: runtimeCacheDir(cliStateRoot(io)),
        events,
        signal: controller.signal,
      }),
  );
}

function print(io: CliIO, globals: GlobalOptions, result: UpgradeResult): void {
  printResult(io, globals, { ...result.plan, applied: result.applied, stepMs: result.stepMs }, () =>
    result.applied
      ? `${renderUpgradePlan(result.plan)}\ndone: every host runs ${result.plan.target}`
      : renderUpgradePlan(result.plan),
  );
}

/**
 * `tugboat upgrade NAME | --inventory FILE`: shows the plan, asks unless --yes, rolls. Exit 2 for
 * a refused plan (downgrade, skew, bad flag); re-running after Ctrl-C or a failure continues.
 */
export async function runUpgradeCommand(
  io: CliIO,
  globals: GlobalOptions,
  name: string | undefined,
  flags: UpgradeFlags,
): Promise<number> {
  if (Boolean(name) === Boolean(flags.inventory))
    throw new UsageError('tugboat upgrade: give a cluster NAME or --inventory FILE (one of them)');
  if (flags.file && !name) throw new UsageError('tugboat upgrade: -f FILE goes with a cluster NAME');
  const bundle = loadBundle(io, flags.bundle ? resolve(io.cwd, flags.bundle) : undefined);
  const plan = await roll(io, globals, name, flags, bundle, true);
  if (flags.dryRun || plan.plan.steps.length === 0) {
    print(io, globals, plan);
    return 0;
  }
  io.stderr(`${renderUpgradePlan(plan.plan)}\n`);
  if (!(await confirm(io, `roll ${plan.plan.target} over these hosts?`, Boolean(flags.yes))))
    return EXIT_DECLINED;
  print(io, globals, await roll(io, globals, name, flags, bundle, false));
  return 0;
}
