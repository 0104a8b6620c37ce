/** The page's copy of the cluster, kept current by the server's relay of its watches. */

export interface Meta {
  readonly name: string;
  readonly namespace?: string;
  readonly uid?: string;
  readonly creationTimestamp?: string;
  readonly generation?: number;
  readonly labels?: Record<string, string>;
}
export interface Obj {
  readonly kind?: string;
  readonly metadata: Meta;
  // biome-ignore lint/suspicious/noExplicitAny: objects of several kinds, read defensively by the views
  readonly spec?: any;
  // biome-ignore lint/suspicious/noExplicitAny: as above
  readonly status?: any;
  readonly [k: string]: unknown;
}

export type Kind = 'nodes' | 'pods' | 'deployments' | 'services' | 'endpoints' | 'events';

/** One message of the relay (see src/dashboard/watch-hub.ts). */
export type Message =
  | { r: Kind; t: 'REPLACE'; items: Obj[] }
  | { r: Kind; t: 'ADDED' | 'MODIFIED' | 'DELETED'; o: Obj }
  | { r: Kind; t: 'ERROR'; message: string };

const key = (o: Obj) => `${o.metadata.namespace ?? ''}/${o.metadata.name}`;

export class ClusterState {
  readonly objects = new Map<Kind, Map<string, Obj>>();
  readonly errors = new Map<Kind, string>();
  version = '';

  apply(m: Message): void {
    if (m.t === 'ERROR') {
      this.errors.set(m.r, m.message);
      return;
    }
    this.errors.delete(m.r);
    if (m.t === 'REPLACE') {
      this.objects.set(m.r, new Map(m.items.map((o) => [key(o), o])));
      return;
    }
    const map = this.objects.get(m.r) ?? new Map<string, Obj>();
    this.objects.set(m.r, map);
    if (m.t === 'DELETED') map.delete(key(m.o));
    else map.set(key(m.o), m.o);
  }

  /** Objects of a kind, sorted by namespace and name. */
  list(kind: Kind): Obj[] {
    return [...(this.objects.get(kind)?.values() ?? [])].sort((a, b) => key(a).localeCompare(key(b)));
  }

  get(kind: Kind, namespace: string, name: string): Obj | undefined {
    return this.objects.get(kind)?.get(`${namespace}/${name}`);
  }

  /** Whether the first list of a kind arrived. */
  loaded(kind: Kind): boolean {
    return this.objects.has(kind) || this.errors.has(kind);
  }
}
