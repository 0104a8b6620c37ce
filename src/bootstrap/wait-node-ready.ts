import type { ClientRequest } from 'node:http';
import { request } from 'node:https';
import { AbortError, TugboatError } from '../errors.js';
import { sleep } from '../timing.js';

/** Options for {@link waitForNodeReady}. */
export interface WaitNodeReadyOptions {
  /** API server URL, e.g. `https://203.0.113.7:6443`. */
  readonly server: string;
  readonly caPem: string;
  /** Admin client certificate and key. */
  readonly certPem: string;
  readonly keyPem: string;
  /** @default 180000 */
  readonly timeoutMs?: number;
  /** Pause before watching again after a watch failed or ended. @default 500 */
  readonly intervalMs?: number;
  /** Longest single watch request; it is renewed until the deadline. @default 60000 */
  readonly watchMs?: number;
  readonly signal?: AbortSignal;
}

interface NodeView {
  status?: { conditions?: { type?: string; status?: string; reason?: string; message?: string }[] };
}

interface WatchLine {
  type?: string;
  object?: NodeView & { message?: string };
}

/** `true` when the node is Ready, else a description of its state for the timeout message. */
function readiness(node: NodeView): true | string {
  const ready = (node.status?.conditions ?? []).find((c) => c.type === 'Ready');
  if (ready?.status === 'True') return true;
  return ready
    ? `Ready=${ready.status} (${ready.reason ?? ''} ${ready.message ?? ''})`.trim()
    : 'no Ready condition';
}

/**
 * One watch of Node `name` (the server first sends its current state, then every change).
 * Resolves `true` as soon as the node is Ready; otherwise, when the watch ends, the last state.
 */
function watchOnce(name: string, o: WaitNodeReadyOptions, ms: number): Promise<true | string> {
  const query = new URLSearchParams({
    watch: 'true',
    fieldSelector: `metadata.name=${name}`,
    timeoutSeconds: String(Math.max(1, Math.ceil(ms / 1000))),
  });
  return new Promise((resolve) => {
    let last = 'not registered yet';
    let req: ClientRequest | undefined;
    const done = (value: true | string) => {
      clearTimeout(timer);
      o.signal?.removeEventListener('abort', onAbort);
      req?.destroy();
      resolve(value);
    };
    const onAbort = () => done('aborted');
    // The server ends the watch after timeoutSeconds; this bounds a server that does not.
    const timer = setTimeout(() => done(last), ms + 2_000);
    o.signal?.addEventListener('abort', onAbort, { once: true });
    req = request(
      `${o.server}/api/v1/nodes?${query}`,
      { ca: o.caPem, cert: o.certPem, key: o.keyPem, agent: false },
      (res) => {
        res.setEncoding('utf8');
        let buffered = '';
        if (res.statusCode !== 200) {
          res.on('data', (c: string) => {
            buffered += c;
          });
          res.on('end', () => done(`HTTP ${res.statusCode}: ${buffered.slice(0, 200)}`));
          return;
        }
        res.on('data', (chunk: string) => {
          buffered += chunk;
          for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
            const line = buffered.slice(0, nl).trim();
            buffered = buffered.slice(nl + 1);
            if (!line) continue;
            let event: WatchLine;
            try {
              event = JSON.parse(line) as WatchLine;
            } catch {
              last = `unreadable watch event: ${line.slice(0, 100)}`;
              continue;
            }
            if (event.type === 'ADDED' || event.type === 'MODIFIED') {
              const state = readiness(event.object ?? {});
              if (state === true) return done(true);
              last = state;
            } else if (event.type === 'DELETED') last = 'deleted';
            else if (event.type === 'ERROR') last = `watch error: ${event.object?.message ?? line}`;
          }
        });
        res.on('end', () => done(last));
        res.on('error', (err: Error) => done(err.message));
      },
    );
    req.on('error', (err) => done(err.message));
    req.end();
  });
}

/**
 * Waits until Node `name` has condition Ready=True by watching it (no polling delay: the agent's
 * status update arrives as it is written); a watch that fails or ends is opened again until the
 * deadline. Fails with the last state seen.
 */
export async function waitForNodeReady(name: string, options: WaitNodeReadyOptions): Promise<void> {
  const timeoutMs = options.timeoutMs ?? 180_000;
  const deadline = Date.now() + timeoutMs;
  let last = 'not registered yet';
  for (;;) {
    if (options.signal?.aborted) throw new AbortError();
    const left = deadline - Date.now();
    if (left <= 0) break;
    const outcome = await watchOnce(name, options, Math.min(left, options.watchMs ?? 60_000));
    if (outcome === true) return;
    if (options.signal?.aborted) throw new AbortError();
    last = outcome;
    if (Date.now() + (options.intervalMs ?? 500) > deadline) break;
    await sleep(options.intervalMs ?? 500);
  }
  throw new TugboatError(
    'NODE_NOT_READY',
    `node ${name} was not Ready within ${timeoutMs} ms (last: ${last}): see /var/log/tugboat/tugboat-agent.log on the host (journalctl -u tugboat-agent where systemd runs)`,
    { exitCode: 4 },
  );
}
