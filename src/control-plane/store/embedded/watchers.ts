import { StoreError, type Watch, type WatchEvent, type WatchHandlers } from '../types.js';

interface Watcher {
  readonly key: string;
  readonly prefix: boolean;
  /** Deliver only events at or after this revision. */
  readonly minRevision: number;
  readonly handlers: WatchHandlers;
  queue: WatchEvent[];
  scheduled: boolean;
  done: boolean;
}

/**
 * Fans committed changes out to watches. Each watch has its own queue drained in a microtask, so
 * events arrive in revision order, never re-entrantly inside a write, and never after `cancel()`.
 * A handler that throws ends its own watch (with an error) rather than breaking the store.
 */
export class WatcherHub {
  private readonly watchers = new Set<Watcher>();

  get count(): number {
    return this.watchers.size;
  }

  /** Registers a watch and queues `backlog` (already-committed events it asked for) first. */
  add(
    key: string,
    prefix: boolean,
    minRevision: number,
    handlers: WatchHandlers,
    backlog: readonly WatchEvent[],
  ): Watch {
    const watcher: Watcher = { key, prefix, minRevision, handlers, queue: [], scheduled: false, done: false };
    this.watchers.add(watcher);
    this.enqueue(watcher, backlog);
    return {
      cancel: async () => {
        watcher.done = true;
        this.watchers.delete(watcher);
      },
    };
  }

  /** Reports an error to a watch that could not start (e.g. compacted), asynchronously. */
  fail(handlers: WatchHandlers, err: StoreError): Watch {
    let cancelled = false;
    queueMicrotask(() => {
      if (!cancelled) safeError(handlers, err);
    });
    return {
      cancel: async () => {
        cancelled = true;
      },
    };
  }

  /** Delivers newly committed events to every matching watch. */
  publish(events: readonly WatchEvent[]): void {
    if (events.length === 0) return;
    for (const watcher of this.watchers) this.enqueue(watcher, events);
  }

  /** Ends every watch with `err` (the store failed or closed). */
  failAll(err: StoreError): void {
    for (const watcher of this.watchers) {
      watcher.done = true;
      queueMicrotask(() => safeError(watcher.handlers, err));
    }
    this.watchers.clear();
  }

  /** Ends every watch silently. */
  clear(): void {
    for (const watcher of this.watchers) watcher.done = true;
    this.watchers.clear();
  }

  private enqueue(watcher: Watcher, events: readonly WatchEvent[]): void {
    for (const event of events) {
      const { key, modRevision } = event.kv;
      if (modRevision < watcher.minRevision) continue;
      if (watcher.prefix ? key.startsWith(watcher.key) : key === watcher.key) watcher.queue.push(event);
    }
    if (watcher.queue.length === 0 || watcher.scheduled) return;
    watcher.scheduled = true;
    queueMicrotask(() => this.drain(watcher));
  }

  private drain(watcher: Watcher): void {
    watcher.scheduled = false;
    const events = watcher.queue;
    watcher.queue = [];
    if (watcher.done || events.length === 0) return;
    try {
      watcher.handlers.onEvents(events);
    } catch (err) {
      watcher.done = true;
      this.watchers.delete(watcher);
      const message = `watch handler for ${watcher.key} threw (${(err as Error).message}): the watch was ended`;
      queueMicrotask(() => safeError(watcher.handlers, new StoreError('Unavailable', message)));
    }
  }
}

/** A throwing error handler must not crash the process from a microtask. */
function safeError(handlers: WatchHandlers, err: StoreError): void {
  try {
    handlers.onError(err);
  } catch {
    // The watch is already over; there is nobody left to tell.
  }
}
