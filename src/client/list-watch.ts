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
 * Lists, then watches from the list's resourceVersion, forever: re-watches from the last seen
 * version when a stream ends, and relists when the server says that version is gone (410),
 * like client-go's reflector. Errors are retried with bounded exponential back-off.
 */
export function runListWatch<T extends KubeObject>(
  client: KubeClient,
  type: ResourceType,
  options: ListWatchOptions,
  handlers: ListWatchHandlers<T>,
): ListWatch {
  const abort = new AbortController();
  let markSynced: () => void = () => {};
  const synced = new Promise<void>((resolve) => {
    markSynced = resolve;
  });
  const baseDelay = options.retryDelayMs ?? 500;
  const { retryDelayMs: _r, watchTimeoutSeconds, ...selection } = options;

  const loop = async () => {
    let delay = baseDelay;
    let version: string | undefined;
    while (!abort.signal.aborted) {
      try {
        if (version === undefined) {
          const list = await client.list<T>(type, selection);
          version = list.metadata.resourceVersion ?? '0';
          handlers.onReplace(list.items, version);
          markSynced();
        }
        for await (const event of client.watch<T>(type, {
          ...selection,
          resourceVersion: version,
          timeoutSeconds: watchTimeoutSeconds ?? 300,
          signal: abort.signal,
        })) {
          delay = baseDelay;
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
      } catch (err) {
        if (abort.signal.aborted) break;
        if (isGone(err)) {
          version = undefined;
          continue;
        }
        handlers.onError?.(err);
        // Stopping ends the wait early; the loop then sees the aborted signal and leaves.
        await sleep(jitter(delay), abort.signal).catch(() => undefined);
        delay = Math.min(delay * 2, 30_000);
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
