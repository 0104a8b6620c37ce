import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDocument } from 'yaml';

/**
 * The spec file the cluster e2e runs: examples/e2e.yaml as is, or — when `workers` is given (the
 * bench sets TUGBOAT_E2E_WORKERS) — the same cluster with that many workers split over its two
 * groups and an EIP pool to match, written to `dir`. Returns the path.
 */
export function writeE2eSpec(dir: string, workers?: number): string {
  const source = 'examples/e2e.yaml';
  if (workers === undefined) return source;
  if (!Number.isInteger(workers) || workers < 2 || workers > 50)
    throw new Error(`TUGBOAT_E2E_WORKERS=${workers} must be a whole number from 2 to 50`);
  const doc = parseDocument(readFileSync(source, 'utf8'));
  const groups = doc.get('workerGroups') as { items: { set(k: string, v: number): void }[] };
  const half = Math.ceil(workers / 2);
  groups.items.forEach((group, i) => {
    const n = i === 0 ? half : workers - half;
    group.set('min', n);
    // Room for one more in the first group: the scale phase adds a worker.
    group.set('max', i === 0 ? n + 1 : n);
    group.set('desired', n);
  });
  doc.setIn(['eipPool', 'size'], workers + 1);
  const path = join(dir, `e2e-${workers}.yaml`);
  writeFileSync(path, doc.toString());
  return path;
}
