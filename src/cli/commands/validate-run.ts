import { ConfigError } from '../../errors.js';
import { adviseClusterSpec, checkClusterSpec } from '../../spec.js';
import type { CliIO, GlobalOptions } from '../support/context.js';
import { printResult } from '../support/output.js';
import { readSpecArg } from '../support/spec-input.js';

/** Validates the spec at `file`; prints a summary, or every issue (exit code 2). */
export async function runValidate(io: CliIO, globals: GlobalOptions, file: string): Promise<number> {
  const { text } = await readSpecArg(io, file);
  const result = checkClusterSpec(text);
  if (!result.ok) {
    printResult(io, globals, { valid: false, file, issues: result.issues }, () => '');
    io.stderr(`error: ${new ConfigError(result.issues, { file }).message}\n`);
    return 2;
  }
  const spec = result.spec;
  const warnings = adviseClusterSpec(spec);
  for (const w of warnings) io.stderr(`warning: ${w.path}: ${w.message}\n`);
  const workers = spec.workerGroups.reduce((n, g) => n + g.desired, 0);
  const summary = {
    valid: true,
    file,
    name: spec.name,
    region: spec.region,
    availabilityZones: spec.availabilityZones,
    masters: spec.master.count,
    store: spec.store,
    workerGroups: spec.workerGroups.map((g) => ({
      name: g.name,
      min: g.min,
      max: g.max,
      desired: g.desired,
    })),
    warnings,
  };
  printResult(
    io,
    globals,
    summary,
    () =>
      `${file} is valid: cluster ${spec.name} in ${spec.region} (${spec.availabilityZones.join(', ')}), ` +
      `${spec.master.count === 1 ? '1 master' : `${spec.master.count} masters`} (store ${spec.store}), ${spec.workerGroups.length} worker group(s) with ${workers} desired worker(s)`,
  );
  return 0;
}
