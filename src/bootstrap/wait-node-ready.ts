import { ApiError } from '../client/api-error.js';
import { KubeClient } from '../client/client.js';
import { resources } from '../client/types.js';
import { AbortError, TugboatError } from '../errors.js';
import type { KubeObject } from '../kube/index.js';
import { sleep } from '../timing.js';

/** Options for {@link waitForNodeReady}. */
export interface WaitNodeReadyOptions {
  /** API server URL, e.g. `https://203.0.113.7:6443`. */
  readonly server: string;
  /**
   * The other masters' API servers, tried in turn when `server` cannot be reached (the watch
   * then stays on the one that answered). @default none
   */
  readonly failoverServers?: readonly string[];
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

type NodeView = KubeObject & {
  status?: { conditions?: { type?: string; status?: string; reason?: string; message?: string }[] };
};

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
async function watchOnce(
  name: string,
  client: KubeClient,
  o: WaitNodeReadyOptions,
  ms: number,
): Promise<true | string> {
  const stop = new AbortController();
  const onAbort = () => stop.abort();
  o.signal?.addEventListener('abort', onAbort, { once: true });
  // The server ends the watch after timeoutSeconds; this bounds a server that does not.
  const timer = setTimeout(() => stop.abort(), ms + 2_000);
  let last = 'not registered yet';
  try {
    const events = client.watch<NodeView>(resources.nodes, {
      fieldSelector: { 'metadata.name': name },
      timeoutSeconds: Math.max(1, Math.ceil(ms / 1000)),
      signal: stop.signal,
    });
    for await (const event of events) {
      if (event.type === 'ADDED' || event.type === 'MODIFIED') {
        const state = readiness(event.object ?? {});
        if (state === true) return true;
        last = state;
      } else if (event.type === 'DELETED') last = 'deleted';
      else if (event.type === 'ERROR')
        last = `watch error: ${(event.object as { message?: string }).message ?? 'no message'}`;
    }
    return o.signal?.aborted ? 'aborted' : last;
  } catch (err) {
    if (err instanceof ApiError) return `HTTP ${err.status}: ${err.message.slice(0, 200)}`;
    return (err as Error).message;
  } finally {
    clearTimeout(timer);
    o.signal?.removeEventListener('abort', onAbort);
  }
}

/**
 * Waits until Node `name` has condition Ready=True by watching it (no polling delay: the agent's
 * status update arrives as it is written); a watch that fails or ends is opened again until the
 * deadline. Goes through one client with every master: a master that cannot be reached is
 * passed over for the next. Fails with the last state seen.
 */
export async function waitForNodeReady(name: string, options: WaitNodeReadyOptions): Promise<void> {
  const client = new KubeClient({
    server: options.server,
    ...(options.failoverServers?.length ? { failoverServers: options.failoverServers } : {}),
    ca: options.caPem,
    cert: options.certPem,
    key: options.keyPem,
  });
  try {
    await waitWith(client, name, options);
  } finally {
    client.close();
  }
}

async function waitWith(client: KubeClient, name: string, options: WaitNodeReadyOptions): Promise<void> {
  const timeoutMs = options.timeoutMs ?? 180_000;
  const deadline = Date.now() + timeoutMs;
  let last = 'not registered yet';
  for (;;) {
    if (options.signal?.aborted) throw new AbortError();
    const left = deadline - Date.now();
    if (left <= 0) break;
    const outcome = await watchOnce(name, client, options, Math.min(left, options.watchMs ?? 60_000));
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
