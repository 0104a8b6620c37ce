import { existsSync } from 'node:fs';
import { type RepairReport, repairEmbeddedStore } from '../../control-plane/store/index.js';
import { UsageError } from '../../errors.js';
import { confirm } from '../support/confirm.js';
import type { CliIO, GlobalOptions } from '../support/context.js';
import { printResult } from '../support/output.js';
import type { StoreRepairFlags } from './store.js';

function describe(report: RepairReport): string {
  const lines = report.steps.map((s) => {
    const dropped = Number.isFinite(s.droppedWrites) ? String(s.droppedWrites) : 'an unknown number of';
    const loss =
      s.kind === 'segment'
        ? `: drops the damaged record and ${dropped} acknowledged write(s) after revision ${s.lastGoodRevision}`
        : ': drops no acknowledged write';
    return `${s.action}${loss}`;
  });
  if (report.backupDir && report.steps.length)
    lines.push(`copies of what is cut or set aside: ${report.backupDir}`);
  if (report.message) lines.push(report.message);
  return lines.join('\n');
}

/**
 * Shows the first repair step (a dry run), asks unless --yes, then repairs and prints every step
 * taken. Exit 0 when the store opens afterwards (or was healthy), 1 when it cannot be repaired.
 */
export async function runStoreRepair(
  io: CliIO,
  globals: GlobalOptions,
  dir: string,
  flags: StoreRepairFlags,
): Promise<number> {
  if (!existsSync(dir)) {
    throw new UsageError(`data dir ${dir} does not exist: pass the --data-dir of tugboat control-plane`);
  }
  const plan = await repairEmbeddedStore(dir, { dryRun: true });
  if (plan.status === 'healthy') {
    printResult(io, globals, plan, () => `store in ${dir} opens as it is: nothing to repair`);
    return 0;
  }
  if (plan.status === 'unrepairable') {
    printResult(io, globals, plan, () => describe(plan));
    return 1;
  }
  io.stderr(`would ${describe(plan)}\n`);
  if (!(await confirm(io, `repair the store in ${dir}?`, flags.yes))) return 1;
  const report = await repairEmbeddedStore(dir);
  printResult(io, globals, report, () => describe(report));
  return report.status === 'unrepairable' ? 1 : 0;
}
