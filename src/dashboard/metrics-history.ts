import type { KubeClient } from '../client/client.js';
import { parseQuantity } from '../client/quantity.js';
import { resources } from '../client/types.js';
import type { KubeObject } from '../kube/index.js';
import { PeriodicRelay } from './periodic-relay.js';

/** One reading of a node's usage from the metrics API. */
export interface NodeSample {
  /** Milliseconds since the epoch. */
  readonly at: number;
  /** CPU in cores. */
  readonly cpu: number;
  /** Memory working set in bytes. */
  readonly memory: number;
}

/** What the page gets: the whole last hour on connecting, then each new reading. */
export type MetricsMessage =
  | {
      readonly r: 'metrics';
      readonly t: 'HISTORY';
      readonly nodes: Readonly<Record<string, readonly NodeSample[]>>;
    }
  | { readonly r: 'metrics'; readonly t: 'SAMPLE'; readonly node: string; readonly sample: NodeSample }
  | { readonly r: 'metrics'; readonly t: 'ERROR'; readonly message: string };

/** How far back the charts go. */
export const HISTORY_MS = 60 * 60 * 1000;
/** Nodes charted (a bigger cluster charts its first 100 by name): the hour of 100 nodes is ~1 MiB on connecting. */
const MAX_NODES = 100;

type NodeMetrics = KubeObject & { timestamp?: string; usage?: { cpu?: string; memory?: string } };

/**
 * The metrics API keeps no history, so the dashboard does: while at least one page is open it
 * reads `metrics.k8s.io` NodeMetrics every `intervalMs`, keeps the last hour per node and pushes each
 * reading on the page's event stream (see PeriodicRelay). History starts when the first page connects.
 */
export class MetricsHistory extends PeriodicRelay<MetricsMessage> {
  private readonly series = new Map<string, NodeSample[]>();

  constructor(
    private readonly client: KubeClient,
    intervalMs: number,
  ) {
    super(intervalMs);
  }

  protected snapshot(): MetricsMessage[] {
    return [{ r: 'metrics', t: 'HISTORY', nodes: Object.fromEntries(this.series) }];
  }

  protected async read(): Promise<MetricsMessage[]> {
    const out: MetricsMessage[] = [];
    try {
      const list = await this.client.list<NodeMetrics>(resources.nodeMetrics);
      const now = Date.now();
      for (const m of list.items.slice(0, MAX_NODES)) {
        const node = m.metadata.name;
        if (!node) continue;
        const at = Date.parse(m.timestamp ?? '') || now;
        const sample = {
          at,
          cpu: parseQuantity(m.usage?.cpu ?? '0'),
          memory: parseQuantity(m.usage?.memory ?? '0'),
        };
        const series = this.series.get(node) ?? [];
        if (series.at(-1)?.at === at) continue;
        series.push(sample);
        while ((series[0]?.at ?? now) < now - HISTORY_MS) series.shift();
        this.series.set(node, series);
        out.push({ r: 'metrics', t: 'SAMPLE', node, sample });
      }
    } catch (err) {
      out.push({ r: 'metrics', t: 'ERROR', message: err instanceof Error ? err.message : String(err) });
    }
    return out;
  }
}
