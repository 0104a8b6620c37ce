import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startControlPlaneProcess } from '../../../harness/control-plane-process.js';
import { type Moto, startMoto } from '../../../harness/moto.js';
import { freePort, type StartedProcess } from '../../../harness/process.js';
import { s3ForMoto, scratch } from './helpers.js';

/** The documented RPO: writes acknowledged longer ago than this are in S3. */
const RPO_MS = 1000;

describe('tugboat control-plane --state-bucket: a replacement master comes back with the state', () => {
  let moto: Moto;
  const tmp = scratch();
  const procs: StartedProcess[] = [];
  beforeAll(async () => {
    moto = await startMoto();
    await s3ForMoto(moto, 's3ship-failover');
  }, 60_000);
  afterAll(async () => {
    for (const p of procs) await p.stop(2_000);
    await moto?.stop();
    tmp.cleanup();
  });

  async function master(dataDir: string): Promise<{ proc: StartedProcess; url: string }> {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const proc = await startControlPlaneProcess(
      dataDir,
      port,
      ['--no-controllers', '--state-bucket', 's3ship-failover', '--state-prefix', 'clusters/failover'],
      { ...process.env, ...moto.env },
    );
    procs.push(proc);
    return { proc, url };
  }

  const configMap = (name: string) => ({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name },
    data: { n: name },
  });

  it('restores every write acknowledged more than the RPO before a kill -9, and fences the old master', async () => {
    const a = await master(tmp.dir('a'));
    const acked = new Map<string, string>();
    for (let i = 0; i < 40; i++) {
      const res = await fetch(`${a.url}/api/v1/namespaces/default/configmaps`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(configMap(`cm-${i}`)),
      });
      expect(res.status).toBe(201);
      acked.set(
        `cm-${i}`,
        ((await res.json()) as { metadata: { resourceVersion: string } }).metadata.resourceVersion,
      );
    }
    await new Promise((r) => setTimeout(r, RPO_MS));
    // The instance dies: no graceful stop, no last upload.
    a.proc.child.kill('SIGKILL');
    await new Promise((r) => a.proc.child.once('exit', r));

    const b = await master(tmp.dir('b'));
    const list = (await (await fetch(`${b.url}/api/v1/namespaces/default/configmaps`)).json()) as {
      items: { metadata: { name: string; resourceVersion: string } }[];
    };
    const back = new Map(list.items.map((i) => [i.metadata.name, i.metadata.resourceVersion]));
    expect(back).toEqual(acked);
    expect(b.proc.output()).toContain('restored the store');

    // A third master starts while the second serves: the second is fenced and exits 1.
    const bExit = new Promise<number | null>((r) => b.proc.child.once('exit', (code) => r(code)));
    const c = await master(tmp.dir('c'));
    expect(await bExit).toBe(1);
    expect(b.proc.output()).toContain('a newer master took over');
    const res = await fetch(`${c.url}/api/v1/namespaces/default/configmaps/cm-39`);
    expect(res.status).toBe(200);
  }, 120_000);
});
