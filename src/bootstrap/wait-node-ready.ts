import { request } from 'node:https';
import { AbortError, TugboatError } from '../errors.js';

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
  /** @default 1000 */
  readonly intervalMs?: number;
  readonly signal?: AbortSignal;
}

interface NodeView {
  status?: { conditions?: { type?: string; status?: string; reason?: string; message?: string }[] };
}

function getNode(name: string, o: WaitNodeReadyOptions): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${o.server}/api/v1/nodes/${encodeURIComponent(name)}`,
      { ca: o.caPem, cert: o.certPem, key: o.keyPem, agent: false, timeout: 10_000 },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c) => {
          body += c;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('no answer within 10 s')));
    req.on('error', reject);
    req.end();
  });
}

/** Polls the API server until Node `name` has condition Ready=True; fails with the last state seen. */
export async function waitForNodeReady(name: string, options: WaitNodeReadyOptions): Promise<void> {
  const timeoutMs = options.timeoutMs ?? 180_000;
  const deadline = Date.now() + timeoutMs;
  let last = 'not registered yet';
  for (;;) {
    if (options.signal?.aborted) throw new AbortError();
    try {
      const res = await getNode(name, options);
      if (res.status === 200) {
        const ready = ((JSON.parse(res.body) as NodeView).status?.conditions ?? []).find(
          (c) => c.type === 'Ready',
        );
        if (ready?.status === 'True') return;
        last = ready
          ? `Ready=${ready.status} (${ready.reason ?? ''} ${ready.message ?? ''})`.trim()
          : 'no Ready condition';
      } else if (res.status !== 404) {
        last = `HTTP ${res.status}: ${res.body.slice(0, 200)}`;
      }
    } catch (err) {
      last = (err as Error).message;
    }
    if (Date.now() + (options.intervalMs ?? 1_000) > deadline) break;
    await new Promise((r) => setTimeout(r, options.intervalMs ?? 1_000));
  }
  throw new TugboatError(
    'NODE_NOT_READY',
    `node ${name} was not Ready within ${timeoutMs} ms (last: ${last}): see /var/log/tugboat/tugboat-agent.log on the host`,
    { exitCode: 4 },
  );
}
