import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startControlPlaneProcess } from '../../harness/control-plane-process.js';
import { startEtcd } from '../../harness/etcd.js';
import { freePort, type StartedProcess } from '../../harness/process.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function startServer(dataDir: string, port: number, extra: readonly string[] = []): Promise<StartedProcess> {
  return startControlPlaneProcess(dataDir, port, extra);
}

async function exited(p: StartedProcess): Promise<number | null> {
  if (p.child.exitCode !== null || p.child.signalCode !== null) return p.child.exitCode;
  return new Promise((resolve) => p.child.once('exit', (code) => resolve(code)));
}

describe('tugboat control-plane', () => {
  it.each(['embedded', 'etcd'])(
    'keeps every acknowledged write across kill -9 and keeps resourceVersions increasing (%s)',
    async (backend) => {
      const dataDir = mkdtempSync(join(tmpdir(), `tugboat-cp-${process.pid}-`));
      dirs.push(dataDir);
      const port = await freePort();
      const etcd = backend === 'etcd' ? await startEtcd() : undefined;
      const extra = etcd
        ? ['--store', 'etcd', '--etcd-endpoints', etcd.endpoints.join(','), '--no-controllers']
        : ['--no-controllers'];
      const first = await startServer(dataDir, port, extra);
      const acked = new Map<string, number>();
      const base = `http://127.0.0.1:${port}/api/v1/namespaces/default/configmaps`;
      const writer = (async () => {
        for (let i = 0; i < 100_000; i++) {
          const res = await fetch(base, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ metadata: { name: `cm-${i}` }, data: { i: String(i) } }),
          }).catch(() => undefined);
          if (!res) return;
          if (res.status !== 201) throw new Error(`create answered ${res.status}`);
          const body = (await res.json()) as { metadata: { resourceVersion: string } };
          acked.set(`cm-${i}`, Number(body.metadata.resourceVersion));
        }
      })();
      for (let i = 0; i < 100 && acked.size < 30; i++) await new Promise((r) => setTimeout(r, 100));
      first.child.kill('SIGKILL');
      await writer.catch(() => undefined);
      await exited(first);
      expect(acked.size).toBeGreaterThanOrEqual(30);

      const second = await startServer(dataDir, port, extra);
      try {
        const list = (await (await fetch(base)).json()) as {
          items: Array<{ metadata: { name: string; resourceVersion: string } }>;
        };
        const stored = new Map(list.items.map((i) => [i.metadata.name, Number(i.metadata.resourceVersion)]));
        for (const [name, rv] of acked) expect(stored.get(name), name).toBe(rv);
        const maxRv = Math.max(...stored.values());
        const res = await fetch(base, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ metadata: { name: 'after-restart' } }),
        });
        expect(res.status).toBe(201);
        const created = (await res.json()) as { metadata: { resourceVersion: string } };
        expect(Number(created.metadata.resourceVersion)).toBeGreaterThan(maxRv);
      } finally {
        second.child.kill('SIGTERM');
        const code = await exited(second);
        expect(code, `signal ${second.child.signalCode}; output:\n${second.output()}`).toBe(0);
        expect(second.output()).toContain('API server stopped; store closed');
        await etcd?.stop();
      }
    },
  );

  it('refuses to serve without TLS unless the insecure loopback mode is asked for', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), `tugboat-cp-${process.pid}-`));
    dirs.push(dataDir);
    const { runCli } = await import('../../support/cli.js');
    const r = await runCli(['control-plane', '--data-dir', dataDir, '--listen', '127.0.0.1:0']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--tls-cert-file');
    const open = await runCli([
      'control-plane',
      '--data-dir',
      dataDir,
      '--listen',
      '0.0.0.0:0',
      '--insecure-loopback-http',
    ]);
    expect(open.code).toBe(2);
    expect(open.stderr).toContain('only listens on loopback');
  });

  it('refuses a bad --service-cluster-ip-range or --advertise-address before opening the store', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), `tugboat-cp-netsvc3-${process.pid}-`));
    dirs.push(dataDir);
    const { runCli } = await import('../../support/cli.js');
    const base = [
      'control-plane',
      '--data-dir',
      dataDir,
      '--listen',
      '127.0.0.1:0',
      '--insecure-loopback-http',
    ];
    const range = await runCli([...base, '--service-cluster-ip-range', '10.96.0.1/12']);
    expect(range.code).toBe(2);
    expect(range.stderr).toContain(
      '--service-cluster-ip-range: service cluster IP range 10.96.0.1/12 is not an IPv4 network between /8 and /30: use e.g. 10.96.0.0/12',
    );
    const addr = await runCli([...base, '--advertise-address', 'master.local']);
    expect(addr.code).toBe(2);
    expect(addr.stderr).toContain('--advertise-address master.local is not an IPv4 address');
  });
});
