import { KubeClient, resources } from '../../src/client/index.js';
import type { ConfigMap } from '../../src/kube/index.js';
import { type HaWrite, type HaWriterFigures, judgeWrites } from '../harness/write-outage.js';

/** Credentials and servers of the write client: the kubeconfig's user, every master's API URL. */
export interface HaWriterOptions {
  /** The server the client starts on (the kubeconfig's); the others are its failover servers. */
  readonly servers: readonly string[];
  readonly ca: string;
  readonly cert: string;
  readonly key: string;
  /** Writes started per second. @default 50 */
  readonly rate?: number;
  /** Writes in flight at most; a tick with this many in flight starts none (counted as skipped). @default 500 (10 s of writes) */
  readonly maxInFlight?: number;
  /** Per request. @default 10_000 */
  readonly timeoutMs?: number;
}

/**
 * A client creating ConfigMaps `<prefix>-<n>` at a fixed rate through tugboat's own KubeClient,
 * which fails over between the masters as the node agent does (Transport `failoverServers`: a
 * server that refuses connections is passed over, and the client stays on the one that answered).
 * Every write is recorded with its outcome; `stop()` waits for the ones in flight.
 */
export class HaWriter {
  readonly writes: HaWrite[] = [];
  skipped = 0;
  private readonly client: KubeClient;
  private readonly inFlight = new Set<Promise<void>>();
  private timer: NodeJS.Timeout | undefined;
  private seq = 0;

  constructor(
    private readonly prefix: string,
    private readonly options: HaWriterOptions,
  ) {
    const [server, ...failoverServers] = options.servers;
    this.client = new KubeClient({
      server: server!,
      failoverServers,
      ca: options.ca,
      cert: options.cert,
      key: options.key,
      timeoutMs: options.timeoutMs ?? 10_000,
    });
  }

  /** Starts writing (`rate` per second) until {@link stop}. */
  start(): void {
    const interval = 1000 / (this.options.rate ?? 50);
    const startedAt = performance.now();
    let due = 0;
    // Timers fire late on a busy event loop: each tick starts every write due by now, so the
    // client keeps its rate instead of drifting below it.
    this.timer = setInterval(() => {
      const now = Math.floor((performance.now() - startedAt) / interval) + 1;
      for (; due < now; due++) this.tick();
    }, interval);
  }

  /** Stops starting writes and waits for those in flight. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await Promise.all([...this.inFlight]);
    this.client.transport.close();
  }

  /** Names of the acknowledged writes. */
  acknowledged(): string[] {
    return this.writes.filter((w) => w.ok).map((w) => w.name);
  }

  /** The figures of the writes sent from `from` (a `performance.now()` time) on. */
  figures(from: number): HaWriterFigures {
    return judgeWrites(this.writes, from, this.skipped);
  }

  private tick(): void {
    if (this.inFlight.size >= (this.options.maxInFlight ?? 500)) {
      this.skipped++;
      return;
    }
    const name = `${this.prefix}-${++this.seq}`;
    const sentAt = performance.now();
    const body: ConfigMap = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name, namespace: 'default', labels: { 'tugboat.dev/ha-e2e': this.prefix } },
      data: { seq: String(this.seq) },
    };
    const write = this.client
      .create(resources.configMaps, body)
      .then(
        () => ({ ok: true }),
        (err: Error) => ({ ok: false, error: err.message }),
      )
      .then((outcome) => {
        this.writes.push({
          name,
          sentAt,
          doneAt: performance.now(),
          server: this.client.transport.server,
          ...outcome,
        });
        this.inFlight.delete(write);
      });
    this.inFlight.add(write);
  }
}
