import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listBackups } from '../../../../src/control-plane/store/shipping/index.js';
import { startControlPlaneProcess } from '../../../harness/control-plane-process.js';
import { type EtcdCluster, startEtcd } from '../../../harness/etcd.js';
import { type Moto, startMoto } from '../../../harness/moto.js';
import { freePort, type StartedProcess } from '../../../harness/process.js';
import { s3ForMoto, scratch, until } from './helpers.js';

describe('tugboat control-plane --store etcd --backup-schedule (processes, real etcd, moto)', () => {
  let moto: Moto;
  let etcd: EtcdCluster;
  const tmp = scratch();
  const procs: StartedProcess[] = [];
  beforeAll(async () => {
    moto = await startMoto();
    etcd = await startEtcd();
  }, 60_000);
  afterAll(async () => {
    for (const proc of procs) await proc.stop(5_000);
    await etcd?.stop();
    await moto?.stop();
    tmp.cleanup();
  });

  it('the leading master of two takes the backup at the whole minute; one whose bucket fails keeps serving', async () => {
    const { s3, target } = await s3ForMoto(moto, 'etcdbackup-process');
    const env = { ...process.env, ...moto.env };
    const start = async (name: string, bucket: string, extra: string[] = []) => {
      const port = await freePort();
      const proc = await startControlPlaneProcess(
        tmp.dir(name),
        port,
        [
          '--store',
          'etcd',
          '--etcd-endpoints',
          etcd.endpoints.join(','),
          '--state-bucket',
          bucket,
          '--state-prefix',
          target.prefix,
          '--backup-schedule',
          '* * * * *',
          '--backup-retain',
          '3',
          ...extra,
        ],
        env,
      );
      procs.push(proc);
      return { proc, port };
    };
    const a = await start('a', target.ref.bucket);
    const b = await start('b', target.ref.bucket);
    // No controllers: no election, so this API server takes its own backups, to a missing bucket.
    const broken = await start('broken', 'etcdbackup-no-such-bucket', ['--no-controllers']);
    const res = await fetch(`http://127.0.0.1:${a.port}/api/v1/namespaces/default/configmaps`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'kept' } }),
    });
    expect(res.status).toBe(201);

    await until(async () => (await listBackups(s3, target)).length > 0, 100_000, 'a scheduled backup');
    const [backup] = await listBackups(s3, target);
    expect(backup!.name).toMatch(/^\d{8}T\d{4}00Z$/);
    expect(backup!.store).toBe('etcd');
    // Both masters ticked: exactly one wrote it, the other skipped, neither failed.
    const wrote = (p: StartedProcess) => p.output().includes(`scheduled backup ${backup!.name}`);
    await until(
      () => [a, b].every(({ proc }) => wrote(proc) || proc.output().includes('scheduled backup skipped')),
      30_000,
      'both masters ticking',
    );
    expect([a, b].filter(({ proc }) => wrote(proc)).length).toBe(1);
    const standby = [a, b].find(({ proc }) => !wrote(proc))!;
    expect(standby.proc.output()).toContain('scheduled backup skipped: this master is not the leader');
    for (const { proc } of [a, b]) expect(proc.output()).not.toContain('scheduled backup failed');

    // The one whose bucket does not exist reported it and serves on.
    await until(() => broken.proc.output().includes('scheduled backup failed'), 30_000, 'a failed backup');
    expect(broken.proc.child.exitCode).toBeNull();
    const list = await fetch(`http://127.0.0.1:${broken.port}/api/v1/namespaces/default/configmaps/kept`);
    expect(list.status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${broken.port}/readyz`)).status).toBe(200);
  }, 240_000);
});
