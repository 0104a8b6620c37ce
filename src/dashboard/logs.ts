import type { KubeClient } from '../client/client.js';
import { buildPath, withQuery } from '../client/paths.js';
import { resources } from '../client/types.js';
import type { SseStream } from './sse.js';

/** Lines shown when the log view opens, before following. */
export const LOG_TAIL_LINES = 500;
/** A longer line is cut (the page shows text, not binary dumps). */
export const MAX_LOG_LINE = 16 * 1024;

/** What to stream: one container of one pod. */
export interface LogTarget {
  readonly namespace: string;
  readonly pod: string;
  /** @default the pod's only container */
  readonly container?: string;
}

/**
 * Relays `pods/log?follow=true` to the page line by line (each line one SSE message), until the
 * page goes away or the container's log ends; an API error becomes an `error` message.
 */
export async function relayLogs(client: KubeClient, target: LogTarget, sse: SseStream): Promise<void> {
  const abort = new AbortController();
  void sse.closed.then(() => abort.abort());
  const path = withQuery(
    buildPath(resources.pods, { namespace: target.namespace, name: target.pod, subresource: 'log' }),
    { follow: 'true', tailLines: LOG_TAIL_LINES, container: target.container },
  );
  try {
    const res = await client.stream(path, abort.signal);
    let partial = '';
    for await (const chunk of res) {
      partial += (chunk as Buffer).toString('utf8');
      const lines = partial.split('\n');
      partial = lines.pop() ?? '';
      if (partial.length > MAX_LOG_LINE) {
        lines.push(partial);
        partial = '';
      }
      for (const line of lines) if (!sse.send({ line: line.slice(0, MAX_LOG_LINE) })) return;
    }
    if (partial) sse.send({ line: partial.slice(0, MAX_LOG_LINE) });
    sse.send({ end: true });
  } catch (err) {
    if (!abort.signal.aborted) sse.send({ error: err instanceof Error ? err.message : String(err) });
  } finally {
    sse.close();
  }
}
