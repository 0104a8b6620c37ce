import type { KubeObject, Status, WatchEvent } from '../kube/index.js';
import { jitter, sleep } from '../timing.js';
import { isGone } from './api-error.js';
import type { KubeClient, ListOptions } from './client.js';
import type { ResourceType } from './types.js';

/** What `runListWatch` tells its consumer. */
export interface ListWatchHandlers<T extends KubeObject> {
  /** The complete current set (after the first list and after every relist). */
  readonly onReplace: (items: T[], resourceVersion: string) => void;
  /** One change after the last list. BOOKMARK and ERROR events are handled internally. */
  readonly onEvent: (event: WatchEvent<T>) => void;
  /** A list or watch failed and will be retried; for logging. @default ignored */
  readonly onError?: (err: unknown) => void;
}

/** Options of `runListWatch`. */
export interface ListWatchOptions extends ListOptions {
  /** Wait after a failed list or watch before retrying (doubling up to 30 s). @default 500 */
  readonly retryDelayMs?: number;
  /** Ask the server to end each watch after this many seconds, then re-watch from the last version. @default 300 */
  readonly watchTimeoutSeconds?: number;
}

/** A running list-watch loop. */
export interface ListWatch {
  /** Resolves once the first list has been delivered. */
  readonly synced: Promise<void>;
  /** Stops the loop and closes the stream; resolves when it has ended. */
  stop(): Promise<void>;
}

/**
 * Where a reflector lists and watches: the REST client (`runListWatch`) or the controllers'
 * ControllerApi (control-plane/machinery/informer.ts). A watch ends by returning (re-watch from the
 * last version) or by throwing (an `ApiError` 410 means relist); `signal` stops it.
 */
export interface ListerWatcher<T extends KubeObject> {
  list(): Promise<{ readonly items: T[]; readonly resourceVersion: string }>;
  watch(resourceVersion: string, signal: AbortSignal): AsyncIterable<WatchEvent<T>>;
}

/** Back-off of `runReflector` after a failed list or watch. */
export interface ReflectorOptions {
  /** First wait, doubling on each failure in a row. */
  readonly retryDelayMs: number;
  /** Longest wait. */
  readonly maxRetryDelayMs: number;
}

/**
 * The one list-watch loop (client-go's reflector): lists, then watches from the list's
 * resourceVersion, forever; re-watches from the last seen version when a stream ends, relists when
 * the server says that version is gone (410), and retries errors with bounded exponential back-off.
 * `onError` gets each retried error and the wait before the retry.
 */
export function runReflector<T extends KubeObject>(
  source: ListerWatcher<T>,
  options: ReflectorOptions,
  handlers: Omit<ListWatchHandlers<T>, 'onError'> & {
    readonly onError?: (err: unknown, retryInMs: number) => void;
  },
): ListWatch {
  const abort = new AbortController();
  let markSynced: () => void = () => {};
  const synced = new Promise<void>((resolve) => {
    markSynced = resolve;
  });
  const loop = async () => {
    let delay = options.retryDelayMs;
    let version: string | undefined;
    while (!abort.signal.aborted) {
      try {
        if (version === undefined) {
          const list = await source.list();
          if (abort.signal.aborted) break;
          version = list.resourceVersion || '0';
          handlers.onReplace(list.items, version);
          markSynced();
        }
        let delivered = false;
        for await (const event of source.watch(version, abort.signal)) {
          delivered = true;
          delay = options.retryDelayMs;
          if (event.type === 'ERROR') {
            const status = event.object as unknown as Status;
            if (status.code === 410) version = undefined;
            else throw new Error(`watch error: ${status.message ?? JSON.stringify(status)}`);
            break;
          }
          const rv = event.object.metadata?.resourceVersion;
          if (rv) version = rv;
          if (event.type !== 'BOOKMARK') handlers.onEvent(event);
        }
        // A stream that keeps ending at once with nothing in it must not become a busy loop of
        // requests: back off as after an error (a relist after 410 is never delayed).
        if (!delivered && version !== undefined && !abort.signal.aborted) {
          await sleep(jitter(delay), abort.signal).catch(() => undefined);
          delay = Math.min(delay * 2, options.maxRetryDelayMs);
        }
      } catch (err) {
        if (abort.signal.aborted) break;
        if (isGone(err)) {
          version = undefined;
          continue;
        }
        const wait = jitter(delay);
        handlers.onError?.(err, wait);
        // Stopping ends the wait early; the loop then sees the aborted signal and leaves.
        await sleep(wait, abort.signal).catch(() => undefined);
        delay = Math.min(delay * 2, options.maxRetryDelayMs);
      }
    }
  };
  const done = loop();
  return {
    synced,
    async stop() {
      abort.abort();
      await done;
    },
  };
}

/** `runReflector` over the REST client: one resource type, optionally one namespace or selection. */
export function runListWatch<T extends KubeObject>(
  client: KubeClient,
  type: ResourceType,
  options: ListWatchOptions,
  handlers: ListWatchHandlers<T>,
): ListWatch {
  const { retryDelayMs, watchTimeoutSeconds, ...selection } = options;
  const source: ListerWatcher<T> = {
    list: async () => {
      const list = await client.list<T>(type, selection);
      return { items: list.items, resourceVersion: list.metadata.resourceVersion ?? '0' };
    },
    watch: (resourceVersion, signal) =>
      client.watch<T>(type, {
        ...selection,
        resourceVersion,
        timeoutSeconds: watchTimeoutSeconds ?? 300,
        signal,
      }),
  };
  return runReflector(
    source,
    { retryDelayMs: retryDelayMs ?? 500, maxRetryDelayMs: 30_000 },
    { onReplace: handlers.onReplace, onEvent: handlers.onEvent, onError: (err) => handlers.onError?.(err) },
  );
}
