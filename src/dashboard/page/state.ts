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

export type Kind =
  | 'nodes'
  | 'pods'
  | 'deployments'
  | 'statefulsets'
  | 'daemonsets'
  | 'jobs'
  | 'cronjobs'
  | 'services'
  | 'endpoints'
  | 'events';

/** One message of the relay (see src/dashboard/watch-hub.ts). */
export type Message =
  | { r: Kind; t: 'REPLACE'; items: Obj[] }
  | { r: Kind; t: 'ADDED' | 'MODIFIED' | 'DELETED'; o: Obj }
  | { r: Kind; t: 'ERROR'; message: string };

/** As src/dashboard/watch-hub.ts MAX_EVENTS. */
const MAX_EVENTS = 500;

const key = (o: Obj) => `${o.metadata.namespace ?? ''}/${o.metadata.name}`;

/** The AWS side as the server last read it (see src/dashboard/cloud-relay.ts). */
export type CloudMessage =
  // biome-ignore lint/suspicious/noExplicitAny: ClusterStatus of src/cluster/status.ts, read defensively
  { r: 'aws'; t: 'STATUS'; status: any; at: string } | { r: 'aws'; t: 'ERROR'; message: string; at: string };

/** Node usage readings relayed by the server (src/dashboard/metrics-history.ts). */
export interface NodeSample {
  readonly at: number;
  readonly cpu: number;
  readonly memory: number;
}
export type MetricsMessage =
  | { r: 'metrics'; t: 'HISTORY'; nodes: Record<string, NodeSample[]> }
  | { r: 'metrics'; t: 'SAMPLE'; node: string; sample: NodeSample }
  | { r: 'metrics'; t: 'ERROR'; message: string };

const HOUR_MS = 60 * 60 * 1000;

export class ClusterState {
  readonly metrics = new Map<string, NodeSample[]>();
  metricsError = '';
  /** Undefined for a cluster that is not on AWS (or until the first read). */
  cloud: CloudMessage | undefined;

  readonly objects = new Map<Kind, Map<string, Obj>>();
  readonly errors = new Map<Kind, string>();
  version = '';

  apply(m: Message | CloudMessage | MetricsMessage): void {
    if (m.r === 'aws') {
      this.cloud = m;
      return;
    }
    if (m.r === 'metrics') {
      this.applyMetrics(m);
      return;
    }
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
    map.delete(key(m.o));
    if (m.t !== 'DELETED') map.set(key(m.o), m.o);
    // The page keeps as many events as the server relays (its newest 500), oldest dropped first.
    if (m.r === 'events' && map.size > MAX_EVENTS) {
      const oldest = map.keys().next().value;
      if (oldest !== undefined) map.delete(oldest);
    }
  }

  private applyMetrics(m: MetricsMessage): void {
    if (m.t === 'ERROR') {
      this.metricsError = m.message;
      return;
    }
    this.metricsError = '';
    if (m.t === 'HISTORY') {
      this.metrics.clear();
      for (const [node, samples] of Object.entries(m.nodes)) this.metrics.set(node, samples);
      return;
    }
    const series = this.metrics.get(m.node) ?? [];
    series.push(m.sample);
    while ((series[0]?.at ?? m.sample.at) < m.sample.at - HOUR_MS) series.shift();
    this.metrics.set(m.node, series);
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
