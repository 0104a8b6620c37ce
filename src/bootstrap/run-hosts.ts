import { AbortError } from '../errors.js';
import { type EventSink, silentEvents } from '../events.js';

/** How one host's work ended. */
export type HostOutcome<T> =
  | { readonly host: string; readonly ok: true; readonly value: T; readonly ms: number }
  | { readonly host: string; readonly ok: false; readonly error: Error; readonly ms: number };

/** Options for {@link runOnHosts}. */
export interface RunOnHostsOptions {
  /** Hosts worked on at the same time. @default 10 */
  readonly concurrency?: number;
  /** Stops starting new hosts once aborted (running ones see the signal through `fn`). */
  readonly signal?: AbortSignal;
  /** @default silentEvents */
  readonly events?: EventSink;
}

/**
 * Runs `fn` for every host, at most `concurrency` at a time, in the given order. A failing host
 * does not stop the others: every host gets an outcome, in input order.
 */
export async function runOnHosts<H extends { readonly name: string }, T>(
  hosts: readonly H[],
  fn: (host: H) => Promise<T>,
  options: RunOnHostsOptions = {},
): Promise<HostOutcome<T>[]> {
  const concurrency = Math.max(1, Math.floor(options.concurrency ?? 10));
  const events = options.events ?? silentEvents;
  const outcomes: HostOutcome<T>[] = new Array(hosts.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < hosts.length; i = next++) {
      const host = hosts[i]!;
      const started = Date.now();
      if (options.signal?.aborted) {
        outcomes[i] = { host: host.name, ok: false, error: new AbortError(), ms: 0 };
        continue;
      }
      events.emit({
        code: 'host.start',
        level: 'info',
        message: `${host.name}: started`,
        data: { host: host.name },
      });
      try {
        const value = await fn(host);
        const ms = Date.now() - started;
        outcomes[i] = { host: host.name, ok: true, value, ms };
        events.emit({
          code: 'host.done',
          level: 'info',
          message: `${host.name}: done`,
          data: { host: host.name, ms },
        });
      } catch (err) {
        const error = err instanceof Error ? err : new Error(String(err));
        const ms = Date.now() - started;
        outcomes[i] = { host: host.name, ok: false, error, ms };
        events.emit({
          code: 'host.fail',
          level: 'error',
          message: error.message,
          data: { host: host.name, ms },
        });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, hosts.length) }, worker));
  return outcomes;
}

/**
 * The bootstrap order: the master first (agents need its API), then all workers in parallel with
 * bounded concurrency. When the master fails, workers are not attempted and report why.
 */
export async function runMasterThenWorkers<H extends { readonly name: string }, T>(
  master: H,
  workers: readonly H[],
  fn: (host: H, role: 'master' | 'worker') => Promise<T>,
  options: RunOnHostsOptions = {},
): Promise<HostOutcome<T>[]> {
  const [first] = await runOnHosts([master], (h) => fn(h, 'master'), options);
  if (!first!.ok) {
    const skipped = workers.map(
      (w): HostOutcome<T> => ({
        host: w.name,
        ok: false,
        error: new Error(
          `${w.name}: not bootstrapped because the master ${master.name} failed: fix it and re-run`,
        ),
        ms: 0,
      }),
    );
    return [first!, ...skipped];
  }
  return [first!, ...(await runOnHosts(workers, (h) => fn(h, 'worker'), options))];
}

/**
 * The bootstrap order with the workers' preparation overlapped: the master and the workers all
 * start at once (workers bounded by `concurrency`), and each worker calls `masterUp()` where it
 * needs the master (before starting its agent). `masterUp()` resolves once the master succeeded
 * and rejects with the reason when it failed, so a worker can connect, check and upload while the
 * master's control plane starts, yet never starts an agent against a failed master.
 */
export function runMasterWithWorkers<H extends { readonly name: string }, T>(
  master: H,
  workers: readonly H[],
  fn: (host: H, role: 'master' | 'worker', masterUp: () => Promise<void>) => Promise<T>,
  options: RunOnHostsOptions = {},
): Promise<HostOutcome<T>[]> {
  return runMastersWithWorkers([master], workers, fn, options);
}

/**
 * {@link runMasterWithWorkers} with several masters, all worked on at once (they need each other:
 * etcd has no quorum until a majority of members run): a worker's `masterUp()` resolves once every
 * master succeeded and rejects naming the masters that failed. Outcomes: masters first, in order.
 */
export async function runMastersWithWorkers<H extends { readonly name: string }, T>(
  masters: readonly H[],
  workers: readonly H[],
  fn: (host: H, role: 'master' | 'worker', masterUp: () => Promise<void>) => Promise<T>,
  options: RunOnHostsOptions = {},
): Promise<HostOutcome<T>[]> {
  let settle: (failed: string[]) => void = () => {};
  const mastersDone = new Promise<string[]>((resolve) => {
    settle = resolve;
  });
  const masterUp = (worker: H) => async () => {
    const failed = await mastersDone;
    if (failed.length > 0)
      throw new Error(
        `${worker.name}: not bootstrapped because the master${failed.length > 1 ? 's' : ''} ${failed.join(', ')} failed: fix it and re-run`,
      );
  };
  // Every master at once, whatever the concurrency: each waits for the others' etcd members.
  const masterRun = runOnHosts(masters, (h) => fn(h, 'master', async () => {}), {
    ...options,
    concurrency: Math.max(masters.length, 1),
  }).then((out) => {
    settle(out.filter((o) => !o.ok).map((o) => o.host));
    return out;
  });
  const workerRun = runOnHosts(workers, (h) => fn(h, 'worker', masterUp(h)), options);
  const [first, rest] = await Promise.all([masterRun, workerRun]);
  return [...first, ...rest];
}
