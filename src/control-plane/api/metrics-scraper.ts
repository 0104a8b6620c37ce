import http from 'node:http';
import https from 'node:https';
import type { EventSink } from '../../events.js';
import type { UntypedObject } from '../../kube/index.js';
import { findResource } from '../registry/index.js';
import { isRecord } from '../registry/validation.js';
import type { ApiContext } from './context.js';
import { agentEndpoint, agentUrl, type NodeProxyOptions } from './node-proxy.js';

/** Settings of {@link startMetricsScraper}. */
export interface MetricsScraperOptions {
  /** How to reach the agents (the node proxy's client certificate and CA). */
  readonly nodeProxy?: NodeProxyOptions;
  /** Period between scrapes (metrics-server's --metric-resolution). @default 15_000 */
  readonly intervalMs?: number;
  /** One node's whole request, connect to last byte. @default 10_000 */
  readonly timeoutMs?: number;
  /** Nodes scraped at once. @default 8 */
  readonly concurrency?: number;
  /** Larger summaries are refused (the node's figures are dropped). @default 16 MiB */
  readonly maxBodyBytes?: number;
}

/** Usage of one node or container: CPU in nanocores, memory (working set) in bytes. */
export interface Usage {
  readonly nanoCores: number;
  readonly workingSetBytes: number;
}

/** What one scrape of one node found. */
export interface NodeSample {
  readonly timestamp: string;
  readonly windowSeconds: number;
  readonly usage: Usage;
  /** By `namespace/name`: the pod's uid and its containers' usage. */
  readonly pods: ReadonlyMap<string, PodSample>;
}

export interface PodSample {
  readonly uid: string;
  readonly timestamp: string;
  readonly containers: ReadonlyArray<{ readonly name: string; readonly usage: Usage }>;
}

/** The scraper's latest figures; each scrape replaces them whole. */
export interface MetricsScraper {
  /** By node name; nodes not Ready, unreachable or answering garbage at the last scrape are absent. */
  nodes(): ReadonlyMap<string, NodeSample>;
  /** Runs one scrape now (tests; the loop runs them on its own). */
  scrapeOnce(): Promise<void>;
  stop(): Promise<void>;
}

const num = (v: unknown): number | undefined =>
  typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : undefined;

function usageOf(cpu: unknown, memory: unknown): Usage | undefined {
  const nanoCores = isRecord(cpu) ? num(cpu.usageNanoCores) : undefined;
  const workingSetBytes = isRecord(memory) ? num(memory.workingSetBytes) : undefined;
  return nanoCores === undefined || workingSetBytes === undefined
    ? undefined
    : { nanoCores, workingSetBytes };
}

/**
 * Reads a Summary API answer defensively: anything not shaped as expected is skipped (a container
 * without a CPU rate yet — the agent saw it for the first time — leaves its pod out, as
 * metrics-server does). Undefined when the node's own figures are missing.
 */
export function parseSummary(body: unknown, windowSeconds: number): NodeSample | undefined {
  if (!isRecord(body) || !isRecord(body.node)) return undefined;
  const usage = usageOf(body.node.cpu, body.node.memory);
  if (!usage) return undefined;
  const timestamp = isRecord(body.node.cpu) ? String(body.node.cpu.time ?? '') : '';
  const pods = new Map<string, PodSample>();
  for (const pod of Array.isArray(body.pods) ? body.pods.slice(0, 10_000) : []) {
    if (!isRecord(pod) || !isRecord(pod.podRef) || !Array.isArray(pod.containers)) continue;
    const { name, namespace, uid } = pod.podRef;
    if (typeof name !== 'string' || typeof namespace !== 'string' || typeof uid !== 'string') continue;
    const containers: Array<{ name: string; usage: Usage }> = [];
    let complete = true;
    for (const c of pod.containers.slice(0, 1000)) {
      const u = isRecord(c) ? usageOf(c.cpu, c.memory) : undefined;
      if (!u || !isRecord(c) || typeof c.name !== 'string') {
        complete = false;
        break;
      }
      containers.push({ name: c.name, usage: u });
    }
    if (complete && containers.length > 0) pods.set(`${namespace}/${name}`, { uid, timestamp, containers });
  }
  return { timestamp, windowSeconds, usage, pods };
}

function isReady(node: UntypedObject): boolean {
  const conditions = (node.status as { conditions?: unknown } | undefined)?.conditions;
  return (
    Array.isArray(conditions) &&
    conditions.some((c) => isRecord(c) && c.type === 'Ready' && c.status === 'True')
  );
}

/** GET the node's /stats/summary: bounded in time and size; rejects on anything but a 200 JSON body. */
function fetchSummary(url: string, options: MetricsScraperOptions, signal: AbortSignal): Promise<unknown> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const maxBytes = options.maxBodyBytes ?? 16 * 1024 * 1024;
  const proxy = options.nodeProxy;
  return new Promise((resolve, reject) => {
    const client = proxy?.insecureHttp ? http : https;
    const req = client.get(
      url,
      {
        cert: proxy?.tls?.cert,
        key: proxy?.tls?.key,
        ca: proxy?.tls?.ca,
        headers: { accept: 'application/json' },
        signal,
      },
      (res) => {
        if (res.statusCode !== 200) {
          res.resume();
          return reject(new Error(`HTTP ${res.statusCode}`));
        }
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > maxBytes) return req.destroy(new Error(`summary larger than ${maxBytes} bytes`));
          chunks.push(c);
        });
        res.on('end', () => {
          try {
            resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
          } catch {
            reject(new Error('summary is not JSON'));
          }
        });
        res.on('error', reject);
      },
    );
    const timer = setTimeout(
      () => req.destroy(new Error(`no complete answer within ${timeoutMs} ms`)),
      timeoutMs,
    );
    req.on('close', () => clearTimeout(timer));
    req.on('error', reject);
  });
}

/**
 * Polls every Ready node's `/stats/summary` (as metrics-server does), `concurrency` nodes at a
 * time, each bounded by `timeoutMs` and `maxBodyBytes`. A node that fails, hangs or answers
 * garbage is left out of that scrape's figures (an event says why) and never holds up the others;
 * figures of nodes gone or no longer Ready drop out with the next scrape.
 */
export function startMetricsScraper(
  ctx: ApiContext,
  options: MetricsScraperOptions,
  events: EventSink,
): MetricsScraper {
  const intervalMs = options.intervalMs ?? 15_000;
  const concurrency = Math.max(1, options.concurrency ?? 8);
  const nodesDef = findResource('', 'v1', 'nodes')!;
  let latest: ReadonlyMap<string, NodeSample> = new Map();
  let running: Promise<void> | undefined;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  // Ends requests in flight when the server stops, so a hanging node cannot hold up its close.
  const abort = new AbortController();

  const scrapeNode = async (node: UntypedObject): Promise<NodeSample | undefined> => {
    const name = String(node.metadata?.name ?? '');
    try {
      const url = agentUrl(
        options.nodeProxy,
        'http',
        agentEndpoint(node, options.nodeProxy),
        '/stats/summary',
      );
      const sample = parseSummary(await fetchSummary(url, options, abort.signal), intervalMs / 1000);
      if (!sample) throw new Error('the summary has no node CPU rate and working set');
      return sample;
    } catch (err) {
      if (stopped) return undefined;
      events.emit({
        code: 'api.metrics.scrape-failed',
        level: 'warn',
        message: `cannot scrape the metrics of node ${name}: ${(err as Error).message}`,
        data: { node: name },
      });
      return undefined;
    }
  };

  const scrape = async () => {
    const nodes = (await ctx.resources.list(nodesDef, undefined)).items.filter(isReady);
    const next = new Map<string, NodeSample>();
    let i = 0;
    const worker = async () => {
      while (i < nodes.length && !stopped) {
        const node = nodes[i++]!;
        const sample = await scrapeNode(node);
        if (sample) next.set(String(node.metadata?.name), sample);
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, nodes.length) }, worker));
    if (!stopped) latest = next;
  };

  const scrapeOnce = () => {
    running ??= scrape()
      .catch((err: unknown) =>
        events.emit({
          code: 'api.metrics.scrape-failed',
          level: 'warn',
          message: `cannot list the nodes to scrape: ${(err as Error).message}`,
          data: {},
        }),
      )
      .finally(() => {
        running = undefined;
      });
    return running;
  };
  const loop = () => {
    if (stopped) return;
    void scrapeOnce().then(() => {
      if (!stopped) timer = setTimeout(loop, intervalMs);
    });
  };
  timer = setTimeout(loop, 0);

  return {
    nodes: () => latest,
    scrapeOnce,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      abort.abort();
      await running;
    },
  };
}
