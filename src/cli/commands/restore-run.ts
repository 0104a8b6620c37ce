import { type BackupRestorePlan, type ChangeList, restoreCluster } from '../../index.js';
import { withAwsSession } from '../support/aws-session.js';
import { confirm } from '../support/confirm.js';
import { type CliIO, cliStateRoot, EXIT_DECLINED, type GlobalOptions } from '../support/context.js';
import { printResult } from '../support/output.js';
import type { RestoreFlags } from './restore.js';

/** Keys shown per kind of change in the text plan (`-o json` has up to 200, and every count). */
const SHOWN = 20;

function changes(verb: string, list: ChangeList): string[] {
  if (list.count === 0) return [];
  const more = list.count > SHOWN ? [`    ... and ${list.count - SHOWN} more`] : [];
  return [`  ${verb} ${list.count}:`, ...list.keys.slice(0, SHOWN).map((k) => `    ${k}`), ...more];
}

/** The plan as `restore` shows it before asking (and as `--dry-run` prints it). */
export function renderRestorePlan(cluster: string, plan: BackupRestorePlan): string {
  const b = plan.backup;
  if (plan.store === 'etcd')
    return [
      `restore backup ${b.name} (${b.keys} keys at revision ${b.revision}, from ${plan.from}) into ${cluster}:`,
      `  stops every master's API server, replaces every key of ${cluster}'s etcd with the backup's (what changes is not listed), starts them`,
      "  the restored keys get revisions past etcd's current one and older ones are compacted, so watchers relist",
    ].join('\n');
  return [
    `restore backup ${b.name} (${b.keys} keys at revision ${b.revision}, from ${plan.from}) into ${cluster}:`,
    plan.current
      ? `  replaces the current state: generation ${plan.current.generation}, revision ${plan.current.revision}, ${plan.current.keys} keys`
      : plan.currentError
        ? `  the current state cannot be read, so what changes is not listed (${plan.currentError})`
        : '  the cluster has no shipped state yet',
    `  the restored state starts at revision ${plan.revision}; older resourceVersions are compacted, so watchers relist`,
    ...changes('brings back', plan.added),
    ...changes('removes (created since)', plan.removed),
    ...changes('reverts (changed since)', plan.changed),
  ].join('\n');
}

/** `tugboat restore NAME --from BACKUP [--dry-run] [--yes]`. Exit 130 when declined. */
export async function runRestore(
  io: CliIO,
  globals: GlobalOptions,
  name: string,
  flags: RestoreFlags,
): Promise<number> {
  const result = await withAwsSession(io, globals, flags, undefined, (s) =>
    restoreCluster({
      aws: s.aws,
      events: s.events,
      signal: s.signal,
      cluster: name,
      from: flags.from,
      dryRun: Boolean(flags.dryRun),
      stateRoot: cliStateRoot(io),
      confirm: async (plan) => {
        await s.settle();
        io.stderr(`${renderRestorePlan(name, plan)}\n`);
        return confirm(io, `restore ${name} from ${plan.backup.name}?`, Boolean(flags.yes));
      },
    }),
  );
  printResult(io, globals, result, () => {
    if (result.dryRun) return renderRestorePlan(name, result.plan);
    if (result.declined) return 'nothing changed';
    const a = result.applied!;
    if (a.etcd !== undefined)
      return `${name} serves backup ${result.plan.backup.name} from etcd (${a.host}: ${a.etcd})`;
    return a.host
      ? `${name} serves backup ${result.plan.backup.name} (generation ${a.generation}, revision ${a.revision}); the old data directory is at ${a.host}:${a.setAside ?? '(none)'}`
      : `backup ${result.plan.backup.name} is ${name}'s state (generation ${a.generation}, revision ${a.revision}); its next master restores it as it starts`;
  });
  return result.declined ? EXIT_DECLINED : 0;
}
