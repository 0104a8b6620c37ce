import { KubeClient, resources } from '../../src/client/index.js';
import type { ConfigMap } from '../../src/kube/index.js';

/** Credentials and servers of the write client: the kubeconfig's user, every master's API URL. */
export interface HaWriterOptions {
  /** The server the client starts on (the kubeconfig's); the others are its failover servers. */
  readonly servers: readonly string[];
  readonly ca: string;
  readonly cert: string;
  readonly key: string;
  /** Writes started per second. @default 50 */
  readonly rate?: number;
  /** Writes in flight at most; a tick with this many in flight starts none (counted as skipped). @default 20 */
  readonly maxInFlight?: number;
  /** Per request. @default 10_000 */
  readonly timeoutMs?: number;
}

/** One write the client sent: when, how long, and whether the API server acknowledged it (201). */
export interface HaWrite {
  readonly name: string;
  readonly sentAt: number;
  readonly doneAt: number;
  readonly ok: boolean;
  /** The server that answered (or failed). */
  readonly server: string;
  readonly error?: string;
}

/** What the writer saw, judged from a moment (the kill) on. */
export interface HaWriterFigures {
  readonly sent: number;
  readonly acknowledged: number;
  readonly failed: number;
  readonly skipped: number;
  /** Longest stretch in which every write that ended failed: first failure's send to the next acknowledgement. */
  readonly longestFailingMs: number;
  /** Longest time between two acknowledgements after `from` (covers writes that hang as well as errors). */
  readonly longestAckGapMs: number;
  /** From `from` to the acknowledgement of the first write sent after it. */
  readonly firstAckAfterMs: number | undefined;
  /** Slowest acknowledged write. */
  readonly slowestAckMs: number;
  /** Distinct error messages, with counts. */
  readonly errors: Readonly<Record<string, number>>;
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
    this.timer = setInterval(() => this.tick(), interval);
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
    if (this.inFlight.size >= (this.options.maxInFlight ?? 20)) {
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

/** The figures of `writes` from `from` on. Pure. */
export function judgeWrites(writes: readonly HaWrite[], from: number, skipped = 0): HaWriterFigures {
  const byEnd = [...writes].sort((a, b) => a.doneAt - b.doneAt);
  let longestFailingMs = 0;
  let failingSince: number | undefined;
  let longestAckGapMs = 0;
  let lastAck: number | undefined;
  const errors: Record<string, number> = {};
  for (const w of byEnd) {
    if (!w.ok) {
      errors[w.error ?? 'unknown'] = (errors[w.error ?? 'unknown'] ?? 0) + 1;
      failingSince = Math.min(failingSince ?? w.sentAt, w.sentAt);
      continue;
    }
    if (failingSince !== undefined) longestFailingMs = Math.max(longestFailingMs, w.doneAt - failingSince);
    failingSince = undefined;
    if (w.doneAt >= from)
      longestAckGapMs = Math.max(longestAckGapMs, w.doneAt - Math.max(lastAck ?? from, from));
    lastAck = w.doneAt;
  }
  if (failingSince !== undefined && byEnd.length > 0)
    longestFailingMs = Math.max(longestFailingMs, byEnd[byEnd.length - 1]!.doneAt - failingSince);
  const firstAfter = byEnd.filter((w) => w.ok && w.sentAt >= from).sort((a, b) => a.sentAt - b.sentAt)[0];
  const acked = writes.filter((w) => w.ok);
  return {
    sent: writes.length,
    acknowledged: acked.length,
    failed: writes.length - acked.length,
    skipped,
    longestFailingMs: Math.round(longestFailingMs),
    longestAckGapMs: Math.round(longestAckGapMs),
    firstAckAfterMs: firstAfter ? Math.round(firstAfter.doneAt - from) : undefined,
    slowestAckMs: Math.round(Math.max(0, ...acked.map((w) => w.doneAt - w.sentAt))),
    errors,
  };
}
