import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildClusterSpecJsonSchema } from '../../src/config/index.js';

interface Node {
  properties?: Record<string, Node>;
  items?: Node;
}

/** Dotted paths of every field the schema allows (`[]` marks list items). */
function fieldPaths(node: Node, prefix = ''): string[] {
  const out: string[] = [];
  for (const [key, child] of Object.entries(node.properties ?? {})) {
    const path = prefix ? `${prefix}.${key}` : key;
    out.push(path, ...fieldPaths(child, path));
    if (child.items) out.push(...fieldPaths(child.items, `${path}[]`));
  }
  return out;
}

describe('docs/config.md', () => {
  const docs = readFileSync(new URL('../../docs/config.md', import.meta.url), 'utf8');

  it('documents every field of the schema', () => {
    const paths = fieldPaths(buildClusterSpecJsonSchema() as Node);
    expect(paths.length).toBeGreaterThan(30);
    const undocumented = paths
      // Taint fields are documented together in the taints row as `{ key, value?, effect: ... }`.
      .filter((path) => !path.includes('taints[].'))
      // Worker group fields are documented by their bare names in the workerGroups table.
      .map((path) => path.replace(/^workerGroups\[\]\./, ''))
      .filter((name) => !docs.includes(`\`${name}\``));
    expect(undocumented).toEqual([]);
  });
});
