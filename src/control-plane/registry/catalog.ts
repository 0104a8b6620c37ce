import { apiVersionOf, type ResourceDef } from './types.js';

/** A served group with its versions, preferred (first registered) version first. */
export interface ServedGroup {
  readonly group: string;
  readonly versions: readonly string[];
}

interface Snapshot {
  readonly all: readonly ResourceDef[];
  readonly byPath: ReadonlyMap<string, ResourceDef>;
  readonly byKind: ReadonlyMap<string, ResourceDef>;
  readonly groups: readonly ServedGroup[];
}

function pathKey(group: string, version: string, plural: string): string {
  return `${group}/${version}/${plural}`;
}

function snapshot(all: readonly ResourceDef[]): Snapshot {
  const byPath = new Map<string, ResourceDef>();
  const byKind = new Map<string, ResourceDef>();
  const groups: Array<{ group: string; versions: string[] }> = [];
  for (const r of all) {
    byPath.set(pathKey(r.group, r.version, r.plural), r);
    byKind.set(`${apiVersionOf(r)}/${r.kind}`, r);
    let g = groups.find((x) => x.group === r.group);
    if (!g) {
      g = { group: r.group, versions: [] };
      groups.push(g);
    }
    if (!g.versions.includes(r.version)) g.versions.push(r.version);
  }
  return { all, byPath, byKind, groups };
}

/**
 * The resources one API server serves: the built-ins plus sets registered at run time (one set per
 * CustomResourceDefinition, under its name). Lookups read an immutable snapshot that is rebuilt
 * only when a set changes, so a request costs one map lookup whatever is registered.
 */
export class ResourceCatalog {
  private readonly dynamic = new Map<string, readonly ResourceDef[]>();
  private current: Snapshot;
  private readonly listeners = new Set<() => void>();

  /** @param builtins the static resources (registry/index.ts `allResources`), served first */
  constructor(private readonly builtins: readonly ResourceDef[]) {
    this.current = snapshot(builtins);
  }

  /** Every served resource: built-ins in discovery order, then the registered sets by name. */
  all(): readonly ResourceDef[] {
    return this.current.all;
  }

  /** The resource at `/apis/{group}/{version}/{plural}`; undefined when not served. */
  find(group: string, version: string, plural: string): ResourceDef | undefined {
    return this.current.byPath.get(pathKey(group, version, plural));
  }

  /** The resource serving `kind` at `apiVersion`; undefined when not served. */
  findKind(apiVersion: string, kind: string): ResourceDef | undefined {
    return this.current.byKind.get(`${apiVersion}/${kind}`);
  }

  /** Served groups in discovery order (core "" first), each with its versions. */
  groups(): readonly ServedGroup[] {
    return this.current.groups;
  }

  /** Resources of one group/version, in discovery order. */
  groupVersion(group: string, version: string): ResourceDef[] {
    return this.current.all.filter((r) => r.group === group && r.version === version);
  }

  /**
   * Registers (or replaces) the set named `owner`. Refuses a set that would take a path or kind
   * another owner (or a built-in) serves, returning the conflicting path, so a CRD can never shadow
   * a built-in resource.
   */
  register(owner: string, defs: readonly ResourceDef[]): string | undefined {
    const others = new Set<string>();
    for (const r of this.builtins) others.add(pathKey(r.group, r.version, r.plural));
    for (const [name, set] of this.dynamic)
      if (name !== owner) for (const r of set) others.add(pathKey(r.group, r.version, r.plural));
    for (const r of defs) {
      const key = pathKey(r.group, r.version, r.plural);
      if (others.has(key)) return key;
    }
    this.dynamic.set(owner, defs);
    this.rebuild();
    return undefined;
  }

  /** Removes the set named `owner` (no-op when absent). */
  unregister(owner: string): void {
    if (this.dynamic.delete(owner)) this.rebuild();
  }

  /** The set registered under `owner`. */
  registered(owner: string): readonly ResourceDef[] | undefined {
    return this.dynamic.get(owner);
  }

  /** Names of the registered sets. */
  owners(): string[] {
    return [...this.dynamic.keys()];
  }

  /** Calls `listener` after every change; returns the function that stops it. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private rebuild(): void {
    const names = [...this.dynamic.keys()].sort();
    this.current = snapshot([...this.builtins, ...names.flatMap((n) => this.dynamic.get(n)!)]);
    for (const l of [...this.listeners]) l();
  }
}
