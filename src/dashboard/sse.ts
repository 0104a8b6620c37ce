import type { IncomingMessage, ServerResponse } from 'node:http';

/** A page that stops reading gets cut off at this much unsent data; it reconnects and gets a snapshot. */
export const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;

/** An open server-sent events stream to one page. */
export interface SseStream {
  /** Sends one message (JSON-encoded unless a string); false once the stream is closed. */
  send(data: unknown, event?: string): boolean;
  /** Ends the stream. */
  close(): void;
  /** Resolves when the page went away or the stream was closed. */
  readonly closed: Promise<void>;
}

/**
 * Starts a `text/event-stream` response. A comment every 15 s keeps proxies from timing out and
 * finds pages that left; a page that does not keep up is disconnected rather than buffered forever.
 */
export function openSse(req: IncomingMessage, res: ServerResponse): SseStream {
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-store',
    'x-accel-buffering': 'no',
  });
  res.write(': open\n\n');
  let open = true;
  let markClosed: () => void = () => {};
  const closed = new Promise<void>((resolve) => {
    markClosed = resolve;
  });
  const heartbeat = setInterval(() => res.write(': ping\n\n'), 15_000);
  heartbeat.unref();
  const close = () => {
    if (!open) return;
    open = false;
    clearInterval(heartbeat);
    res.end();
    markClosed();
  };
  req.on('close', close);
  res.on('close', close);
  return {
    send(data, event) {
      if (!open) return false;
      if (res.writableLength > MAX_BUFFERED_BYTES) {
        close();
        return false;
      }
      const text = typeof data === 'string' ? data : JSON.stringify(data);
      const lines = text.split('\n').map((l) => `data: ${l}`);
      res.write(`${event ? `event: ${event}\n` : ''}${lines.join('\n')}\n\n`);
      return true;
    },
    close,
    closed,
  };
}
