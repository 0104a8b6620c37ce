import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { folderCycles, folderEdges } from './support/import-graph.js';

describe('the import graph of src/', () => {
  it('has no cycle between folders, counting type-only imports', () => {
    const edges = folderEdges('src');
    // The graph is real: the library surface reaches the lifecycle, the lifecycle reaches bootstrap.
    expect(edges.some((e) => e.from === 'index.ts' && e.to === 'cluster')).toBe(true);
    expect(edges.some((e) => e.from === 'cluster' && e.to === 'bootstrap')).toBe(true);
    const cycles = folderCycles(edges).map((group) => ({
      folders: group,
      edges: edges
        .filter((e) => group.includes(e.from) && group.includes(e.to))
        .map((e) => `${e.from} -> ${e.to} (${e.via})`),
    }));
    expect(cycles).toEqual([]);
  });
});

describe('folderCycles', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tugboat-import-graph-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const write = (path: string, text: string) => {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  };

  it('finds a loop made of a type-only import and a re-export', () => {
    write('a/one.ts', "import type { B } from '../b/two.js';\nexport type A = B;\n");
    write('b/two.ts', "export type B = string;\nexport { c } from '../c/three.js';\n");
    write(
      'c/three.ts',
      "import { type A } from '../a/one.js';\nexport const c: A | undefined = undefined;\n",
    );
    write('d/index.ts', "export * from './inner/x.js';\n");
    write('d/inner/x.ts', "import { y } from '../y.js';\nexport const x = y;\n");
    write('d/y.ts', 'export const y = 1;\n');
    const cycles = folderCycles(folderEdges(dir));
    // A folder's index.ts that opens a subfolder built on the folder's other files is no loop.
    expect(cycles).toEqual([['a', 'b', 'c']]);
  });
});
