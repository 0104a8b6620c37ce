import { readFileSync, statSync } from 'node:fs';
import { PassThrough, type Readable } from 'node:stream';
import type { LogOptions } from './types.js';

/**
 * A process-runtime container's log (`<ISO time> <line>` per line, as the runtime writes it) as
 * kubectl asks for it: since, tail, timestamps, and with `follow` the lines written later (polled
 * every 200 ms) until the container has exited and everything is read, or `signal` aborts.
 */
export function followProcessLog(file: string, options: LogOptions, exited: () => boolean): Readable {
  const since = options.sinceSeconds ? Date.now() - options.sinceSeconds * 1000 : 0;
  const render = (text: string) =>
    text
      .split('\n')
      .filter((l) => l && (!since || Date.parse(l.slice(0, l.indexOf(' '))) >= since))
      .map((l) => (options.timestamps ? l : l.slice(l.indexOf(' ') + 1)));
  const out = new PassThrough();
  const content = readBytes(file);
  let lines = render(content.toString());
  if (options.tailLines !== undefined) lines = lines.slice(Math.max(0, lines.length - options.tailLines));
  for (const l of lines) out.write(`${l}\n`);
  if (!options.follow) return out.end();
  let offset = content.length;
  const poll = setInterval(() => {
    if (fileSize(file) > offset) {
      // Bytes, not characters: a line with multi-byte characters must not shift the offset.
      const added = readBytes(file).subarray(offset);
      offset += added.length;
      for (const l of render(added.toString())) out.write(`${l}\n`);
    }
    if (exited() && fileSize(file) === offset) stop();
  }, 200);
  const stop = () => {
    clearInterval(poll);
    out.end();
  };
  options.signal?.addEventListener('abort', stop, { once: true });
  return out;
}

function readBytes(file: string): Buffer {
  try {
    return readFileSync(file);
  } catch {
    return Buffer.alloc(0);
  }
}

function fileSize(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}
