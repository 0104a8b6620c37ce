/**
 * DNS queries/s and latency from inside a pod (issue #12's bench): busybox has no load tool, so the
 * test builds bench/support/dns-load.c as a static binary with the runner's gcc, copies it into
 * the client pod through `kubectl exec -i` and runs it there against the pod's own nameserver (its
 * node's cluster DNS on the pod gateway), so every query takes the pod's veth and bridge.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { kubectlOk } from './kubectl.js';

/** What one dns-load run printed. */
export interface DnsLoadResult {
  server: string;
  queries: number;
  inflight: number;
  right: number;
  wrong: number;
  timedOut: number;
  seconds: number;
  qps: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

/** Builds dns-load (static, so it runs in a libc-less busybox image); its bytes. */
export function buildDnsLoad(): Buffer {
  const dir = mkdtempSync(join(tmpdir(), 'tugboat-nete2e-dns-load-'));
  try {
    const out = join(dir, 'dns-load');
    execFileSync('gcc', ['-O2', '-static', '-o', out, 'bench/support/dns-load.c'], {
      stdio: ['ignore', 'ignore', 'pipe'],
      timeout: 120_000,
    });
    return readFileSync(out);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Copies `binary` into `pod` as /tmp/dns-load (executable). */
export async function copyDnsLoad(kubeconfig: string, pod: string, binary: Buffer): Promise<void> {
  await kubectlOk(
    kubeconfig,
    ['exec', '-i', pod, '--', 'sh', '-c', 'mkdir -p /tmp && cat > /tmp/dns-load && chmod +x /tmp/dns-load'],
    binary,
  );
}

/** Runs `total` queries for `name` (expecting `ip`), `inflight` at a time, from `pod` to its nameserver. */
export async function runDnsLoad(
  kubeconfig: string,
  pod: string,
  name: string,
  ip: string,
  total: number,
  inflight: number,
): Promise<DnsLoadResult> {
  const out = await kubectlOk(kubeconfig, [
    'exec',
    pod,
    '--',
    '/tmp/dns-load',
    'resolv',
    name,
    ip,
    String(total),
    String(inflight),
  ]);
  return JSON.parse(out.trim()) as DnsLoadResult;
}

/**
 * The e2e step: copies dns-load into `pod` and runs 10,000 queries one at a time (latency), then
 * 30,000 with 16 in flight (throughput), for `web.default.svc.cluster.local`; every answer must be
 * `ip`. Returns both runs' figures for the bench.
 */
export async function checkDnsFromPod(kubeconfig: string, pod: string, ip: string): Promise<DnsLoadResult[]> {
  await copyDnsLoad(kubeconfig, pod, buildDnsLoad());
  const runs: DnsLoadResult[] = [];
  for (const [total, inflight] of [
    [10_000, 1],
    [30_000, 16],
  ] as const) {
    const r = await runDnsLoad(kubeconfig, pod, 'web.default.svc.cluster.local', ip, total, inflight);
    expect({ right: r.right, wrong: r.wrong, timedOut: r.timedOut }, JSON.stringify(r)).toEqual({
      right: total,
      wrong: 0,
      timedOut: 0,
    });
    runs.push(r);
  }
  return runs;
}
