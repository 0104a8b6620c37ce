import type { ContainerStats, CpuStats, MemoryStats, PodStats, Summary } from '../../kube/index.js';
import { SANDBOX_CONTAINER } from '../network/pod-sandbox.js';
import type { Runtime, RuntimeContainer } from '../runtime/types.js';
import {
  readCgroupUsage,
  readNodeUsage,
  readProcessUsage,
  readSessionUsages,
  type Usage,
} from './usage-readers.js';

/** Options of {@link buildSummaryCollector}. */
export interface SummaryCollectorOptions {
  readonly runtime: Runtime;
  readonly nodeName: string;
  /** @default () => Date.now() */
  readonly now?: () => number;
  /** When the node started (for `node.startTime`). @default the agent's start */
  readonly nodeStartTime?: Date;
  /**
   * A cached sample is replaced only once it is this old, so two callers in quick succession
   * (the scraper and a `kubectl get --raw`) still get a rate over a useful window. @default 1000
   */
  readonly minWindowMs?: number;
  /**
   * Reads one container's usage. @default cgroup files for isolated runtimes, the container's
   * session (its process and everything it forked) from /proc otherwise
   */
  readonly readContainer?: (c: RuntimeContainer) => Promise<Usage | undefined>;
  /** @default readNodeUsage */
  readonly readNode?: () => Promise<Usage | undefined>;
}

/** Builds the Summary API answer; keeps one earlier CPU sample per running container. */
export interface SummaryCollector {
  summary(): Promise<Summary>;
  /** How many CPU samples are cached (the node's included): bounded by the running containers. */
  cachedSamples(): number;
}

interface Sample {
  readonly atMs: number;
  readonly cpuNanoSeconds: number;
}

const NODE_KEY = '';
/** Containers read at once: a node with many pods must not open hundreds of files together. */
const READ_CONCURRENCY = 16;

/**
 * Collects the kubelet Summary (`/stats/summary`) of this node: node CPU and memory from /proc,
 * each running container's from its cgroup (or its process for the `process` runtime), pods as
 * the sum of their containers. `usageNanoCores` is the rate since the cached earlier sample of the
 * same container; it is absent on the first look at a container. Samples of containers that are
 * no longer running are dropped on every call.
 */
export function buildSummaryCollector(options: SummaryCollectorOptions): SummaryCollector {
  const now = options.now ?? (() => Date.now());
  const minWindowMs = options.minWindowMs ?? 1000;
  const startTime = (options.nodeStartTime ?? new Date(now())).toISOString();
  // Without isolation a container is its session: one /proc scan per summary finds them all.
  const bySession = !options.readContainer && !options.runtime.isolated;
  let sessions = new Map<number, Usage>();
  const readContainer =
    options.readContainer ??
    ((c: RuntimeContainer) =>
      c.pid === undefined
        ? Promise.resolve(undefined)
        : options.runtime.isolated
          ? readCgroupUsage(c.pid)
          : bySession && sessions.has(c.pid)
            ? Promise.resolve(sumUsages([c.pid, ...(c.execPids ?? [])].flatMap((p) => sessions.get(p) ?? [])))
            : readProcessUsage(c.pid));
  const readNode = options.readNode ?? readNodeUsage;
  const samples = new Map<string, Sample>();

  const cpuOf = (key: string, usage: Usage, atMs: number): CpuStats => {
    const before = samples.get(key);
    const time = new Date(atMs).toISOString();
    let usageNanoCores: number | undefined;
    if (before && atMs > before.atMs && usage.cpuNanoSeconds >= before.cpuNanoSeconds) {
      usageNanoCores = Math.round(
        ((usage.cpuNanoSeconds - before.cpuNanoSeconds) / (atMs - before.atMs)) * 1e3,
      );
    }
    // A counter that went backwards is a new cgroup under the same key: start again from it.
    if (!before || atMs - before.atMs >= minWindowMs || usage.cpuNanoSeconds < before.cpuNanoSeconds)
      samples.set(key, { atMs, cpuNanoSeconds: usage.cpuNanoSeconds });
    return {
      time,
      ...(usageNanoCores !== undefined ? { usageNanoCores } : {}),
      usageCoreNanoSeconds: usage.cpuNanoSeconds,
    };
  };
  const memoryOf = (usage: Usage, atMs: number): MemoryStats => ({
    time: new Date(atMs).toISOString(),
    ...(usage.availableBytes !== undefined ? { availableBytes: usage.availableBytes } : {}),
    usageBytes: usage.usageBytes,
    workingSetBytes: usage.workingSetBytes,
    ...(usage.rssBytes !== undefined ? { rssBytes: usage.rssBytes } : {}),
  });

  return {
    cachedSamples: () => samples.size,
    async summary() {
      const running = (await options.runtime.list()).filter(
        (c) => c.state === 'running' && c.containerName !== SANDBOX_CONTAINER && c.podUid !== '',
      );
      if (bySession)
        sessions = await readSessionUsages(
          new Set(running.flatMap((c) => (c.pid === undefined ? [] : [c.pid, ...(c.execPids ?? [])]))),
        );
      const usages = new Array<Usage | undefined>(running.length);
      for (let i = 0; i < running.length; i += READ_CONCURRENCY) {
        const batch = running.slice(i, i + READ_CONCURRENCY);
        const read = await Promise.all(batch.map((c) => readContainer(c).catch(() => undefined)));
        read.forEach((u, j) => {
          usages[i + j] = u;
        });
      }
      const atMs = now();
      const live = new Set<string>([NODE_KEY]);
      const pods = new Map<
        string,
        { ref: PodStats['podRef']; containers: ContainerStats[]; start: string }
      >();
      running.forEach((c, i) => {
        const usage = usages[i];
        if (!usage) return;
        live.add(c.id);
        const startTime = c.startedAt ?? new Date(atMs).toISOString();
        let pod = pods.get(c.podUid);
        if (!pod) {
          pod = {
            ref: { name: c.podName, namespace: c.podNamespace, uid: c.podUid },
            containers: [],
            start: startTime,
          };
          pods.set(c.podUid, pod);
        }
        if (startTime < pod.start) pod.start = startTime;
        pod.containers.push({
          name: c.containerName,
          startTime,
          cpu: cpuOf(c.id, usage, atMs),
          memory: memoryOf(usage, atMs),
        });
      });
      for (const key of [...samples.keys()]) if (!live.has(key)) samples.delete(key);
      const nodeUsage = await readNode();
      if (!nodeUsage) throw new Error('cannot read the node figures from /proc/stat and /proc/meminfo');
      return {
        node: {
          nodeName: options.nodeName,
          startTime,
          cpu: cpuOf(NODE_KEY, nodeUsage, atMs),
          memory: memoryOf(nodeUsage, atMs),
        },
        pods: [...pods.values()].map((p) => podStats(p.ref, p.start, p.containers, atMs)),
      };
    },
  };
}

/** The usage of the sessions of one container (its own and its exec sessions), added up. */
function sumUsages(usages: readonly Usage[]): Usage {
  const sum = (f: (u: Usage) => number) => usages.reduce((a, u) => a + f(u), 0);
  return {
    cpuNanoSeconds: sum((u) => u.cpuNanoSeconds),
    usageBytes: sum((u) => u.usageBytes),
    workingSetBytes: sum((u) => u.workingSetBytes),
    rssBytes: sum((u) => u.rssBytes ?? 0),
  };
}

/** A pod's figures: the sum of its containers' (the rate only when every container has one). */
function podStats(
  ref: PodStats['podRef'],
  startTime: string,
  containers: ContainerStats[],
  atMs: number,
): PodStats {
  const time = new Date(atMs).toISOString();
  const sum = (f: (c: ContainerStats) => number) => containers.reduce((a, c) => a + f(c), 0);
  const rated = containers.every((c) => c.cpu.usageNanoCores !== undefined);
  return {
    podRef: ref,
    startTime,
    containers,
    cpu: {
      time,
      ...(rated ? { usageNanoCores: sum((c) => c.cpu.usageNanoCores ?? 0) } : {}),
      usageCoreNanoSeconds: sum((c) => c.cpu.usageCoreNanoSeconds),
    },
    memory: {
      time,
      usageBytes: sum((c) => c.memory.usageBytes),
      workingSetBytes: sum((c) => c.memory.workingSetBytes),
    },
  };
}
