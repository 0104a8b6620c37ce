import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

/** One import edge between two folders of the tree, with a file that makes it (for the failure message). */
export interface FolderEdge {
  from: string;
  to: string;
  via: string;
}

function listTs(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listTs(path));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

/**
 * The graph node a file belongs to: its folder, with two exceptions. Each file directly under `root`
 * (the library surface `index.ts`, the shared `errors.ts`, `events.ts`) is a node of its own, since the
 * root is not a folder of the tree but the place its few cross-cutting leaves live. A folder's
 * `index.ts` is a node of its own too: it is the folder's front door, which may pick among backends in
 * subfolders (`store/index.ts` opens `store/embedded/`) that themselves build on the folder's other files.
 */
function nodeOf(root: string, file: string): string {
  const ts = file.replace(/\.js$/, '.ts');
  const folder = relative(root, dirname(ts));
  if (folder === '' || ts.endsWith('/index.ts')) return relative(root, ts);
  return folder;
}

/**
 * Every relative import of every `.ts` file under `root`, runtime and type-only alike (the
 * TypeScript pre-processor sees `import type` and `export ... from` too), folded to folder edges.
 */
export function folderEdges(root: string): FolderEdge[] {
  const edges = new Map<string, FolderEdge>();
  for (const file of listTs(root)) {
    const info = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    for (const ref of info.importedFiles) {
      if (!ref.fileName.startsWith('.')) continue;
      const target = resolve(dirname(file), ref.fileName);
      const from = nodeOf(root, file);
      const to = nodeOf(root, target);
      if (from === to) continue;
      const key = `${from} -> ${to}`;
      if (!edges.has(key)) edges.set(key, { from, to, via: relative(root, file) });
    }
  }
  return [...edges.values()];
}

/** Strongly connected groups of more than one folder (Tarjan), each sorted; empty when the graph is acyclic. */
export function folderCycles(edges: FolderEdge[]): string[][] {
  const next = new Map<string, string[]>();
  for (const e of edges) {
    next.set(e.from, [...(next.get(e.from) ?? []), e.to]);
    if (!next.has(e.to)) next.set(e.to, []);
  }
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const groups: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, counter);
    low.set(v, counter);
    counter++;
    stack.push(v);
    onStack.add(v);
    for (const w of next.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v) ?? 0, low.get(w) ?? 0));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v) ?? 0, index.get(w) ?? 0));
      }
    }
    if (low.get(v) === index.get(v)) {
      const group: string[] = [];
      let w: string | undefined;
      do {
        w = stack.pop();
        if (w === undefined) break;
        onStack.delete(w);
        group.push(w);
      } while (w !== v);
      if (group.length > 1) groups.push(group.sort());
    }
  };
  for (const v of next.keys()) if (!index.has(v)) visit(v);
  return groups;
}
