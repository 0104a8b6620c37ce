import { request } from 'node:https';
import { AbortError, TugboatError } from '../errors.js';
import { sleep } from '../timing.js';

/** Options for {@link waitForHealthy}. */
export interface WaitHealthyOptions {
  /** The cluster CA: the server's certificate must chain to it (no insecure skip). */
  readonly caPem: string;
  /** Client certificate and key, when the endpoint requires one. @default none */
  readonly certPem?: string;
  readonly keyPem?: string;
  /** @default 120000 */
  readonly timeoutMs?: number;
  /** Longest pause between probes. @default 1000 */
  readonly intervalMs?: number;
  /**
   * First pause between probes; it doubles up to `intervalMs`, so a service that is up within a
   * fraction of a second is seen then rather than a whole interval later. @default 100
   */
  readonly initialIntervalMs?: number;
  readonly signal?: AbortSignal;
}

function probe(url: URL, options: WaitHealthyOptions): Promise<string | undefined> {
  return new Promise((resolve) => {
    const req = request(
      url,
      {
        ca: options.caPem,
        cert: options.certPem,
        key: options.keyPem,
        agent: false,
        timeout: 5_000,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c) => {
          body += c;
        });
        res.on('end', () =>
          resolve(res.statusCode === 200 ? undefined : `HTTP ${res.statusCode}: ${body.slice(0, 200)}`),
        );
      },
    );
    req.on('timeout', () => req.destroy(new Error('no answer within 5 s')));
    req.on('error', (err) => resolve(err.message));
    req.end();
  });
}

/**
 * Polls an HTTPS health endpoint (e.g. `https://203.0.113.7:6443/readyz`) until it answers 200,
 * verifying the server against the cluster CA. Fails after `timeoutMs` with the last problem seen.
 */
export async function waitForHealthy(url: string, options: WaitHealthyOptions): Promise<void> {
  const target = new URL(url);
  if (target.protocol !== 'https:') throw new Error(`health URL "${url}" must be https://`);
  const timeoutMs = options.timeoutMs ?? 120_000;
  const deadline = Date.now() + timeoutMs;
  let last = 'no attempt made';
  const maxInterval = options.intervalMs ?? 1_000;
  let interval = Math.min(options.initialIntervalMs ?? 100, maxInterval);
  for (;;) {
    if (options.signal?.aborted) throw new AbortError();
    const problem = await probe(target, options);
    if (problem === undefined) return;
    last = problem;
    if (Date.now() + interval > deadline) break;
    await sleep(interval);
    interval = Math.min(interval * 2, maxInterval);
  }
  throw new TugboatError(
    'HEALTH_TIMEOUT',
    `${url} was not healthy within ${timeoutMs} ms (last: ${last}): check the service log under /var/log/tugboat on the host`,
    { exitCode: 4 },
  );
}
