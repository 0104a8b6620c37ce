import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAwsClients } from '../../../../src/aws/clients.js';
import {
  applyBackupRestore,
  createBackup,
  prepareBackupRestore,
} from '../../../../src/control-plane/store/shipping/index.js';
import { objectLeftovers } from '../../../../src/provision/leftovers-storage.js';
import { clusterBucketName } from '../../../../src/provision/template/storage-names.js';
import { startControlPlaneProcess } from '../../../harness/control-plane-process.js';
import { type Moto, startMoto } from '../../../harness/moto.js';
import { freePort, type StartedProcess } from '../../../harness/process.js';
import { scratch } from './helpers.js';

const CLUSTER = 'rsdemo';
const cms = '/api/v1/namespaces/default/configmaps';

describe('restoring a backup as a new store generation (moto, real control plane processes)', () => {
  let moto: Moto;
  const tmp = scratch();
  const procs: StartedProcess[] = [];
  beforeAll(async () => {
    moto = await startMoto();
  }, 60_000);
  afterAll(async () => {
    for (const p of procs) await p.stop(2_000);
    await moto?.stop();
    tmp.cleanup();
  });

  async function master(dataDir: string) {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const proc = await startControlPlaneProcess(
      tmp.dir(dataDir),
      port,
      [
        '--no-controllers',
        '--state-bucket',
        clusterBucketName('123456789012', 'us-east-1'),
        '--state-prefix',
        CLUSTER,
      ],
      { ...process.env, ...moto.env },
    );
    procs.push(proc);
    const call = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(`${url}${path}`, {
        method,
        headers: { 'content-type': 'application/json' },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    const put = (name: string, n: string) =>
      call('POST', cms, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { n } });
    const names = async () =>
      ((await call('GET', cms)).body.items as { metadata: { name: string } }[])
        .map((i) => i.metadata.name)
        .sort();
    return { proc, call, put, names };
  }

  it('backup → cluster deleted keeping backups → a new cluster → restore: the objects are back at a newer revision', async () => {
    const aws = await createAwsClients({ env: moto.env });
    const ref = { bucket: clusterBucketName('123456789012', 'us-east-1'), owner: '123456789012' };
    await aws.s3.ensurePrivateBucket(ref, {});
    const target = { ref, prefix: CLUSTER };

    const a = await master('a');
    for (const i of [1, 2, 3, 4, 5]) expect((await a.put(`cm-${i}`, `${i}`)).status).toBe(201);
    await a.proc.stop();
    const backup = await createBackup(aws.s3, target);

    // delete --keep-backups: everything of the cluster's prefix goes but backups/.
    const { left, kept } = await objectLeftovers(aws, CLUSTER, { keepBackups: true });
    expect(kept).toBe(2);
    for (const l of left) await aws.s3.deleteObject(ref, l.id.slice(`s3://${ref.bucket}/`.length));

    // A new cluster of the same name starts empty and gets an object of its own.
    const b = await master('b');
    expect(await b.names()).toEqual([]);
    expect((await b.put('newcomer', 'x')).status).toBe(201);
    const cm1 = await b.put('cm-1', 'changed');
    expect(cm1.status).toBe(201);
    const newest = Number((cm1.body.metadata as { resourceVersion: string }).resourceVersion);
    // Restore: the master stops first (nothing it acknowledges can be mixed in afterwards).
    await b.proc.stop();

    const prepared = await prepareBackupRestore(aws.s3, target, target, backup.name);
    const { plan } = prepared;
    expect(plan.backup.name).toBe(backup.name);
    expect(plan.removed.keys).toContain('/registry/configmaps/default/newcomer');
    // The new cluster's own objects (namespaces, the kubernetes Service...) differ too: other uids.
    expect(plan.changed.keys.filter((k) => k.includes('configmaps'))).toEqual([
      '/registry/configmaps/default/cm-1',
    ]);
    expect(plan.added.keys.filter((k) => k.includes('configmaps'))).toEqual(
      [2, 3, 4, 5].map((i) => `/registry/configmaps/default/cm-${i}`),
    );
    expect(plan.revision).toBe(Math.max(backup.revision, plan.current!.revision) + 1);

    const applied = await applyBackupRestore(aws.s3, target, prepared, 'test restore');
    expect(applied).toMatchObject({ revision: plan.revision, keys: backup.keys });
    // A plan is used once: the state moved past it.
    await expect(applyBackupRestore(aws.s3, target, prepared, 'again')).rejects.toThrow(/since the plan/);
    // Unless the caller stopped the master after the plan (restoreOnMaster): its writes since are
    // replaced too, and the restore goes past the newest shipped revision.
    const past = await applyBackupRestore(aws.s3, target, prepared, 'after stop', { masterStopped: true });
    expect(past).toMatchObject({ revision: plan.revision + 1, keys: backup.keys });
    expect(past.generation).toBe(applied.generation + 1);

    const c = await master('c');
    expect(c.proc.output()).toContain('restored the store');
    expect(await c.names()).toEqual(['cm-1', 'cm-2', 'cm-3', 'cm-4', 'cm-5']);
    expect(((await c.call('GET', `${cms}/cm-1`)).body.data as { n: string }).n).toBe('1');
    // Revisions move on past everything the deleted and the new cluster served: no reuse.
    const next = await c.put('after', 'y');
    expect(Number((next.body.metadata as { resourceVersion: string }).resourceVersion)).toBeGreaterThan(
      newest,
    );
    // A watch from a revision before the restore is told to relist (410 Gone), as etcd's compaction.
    const old = await c.call('GET', `${cms}?watch=1&resourceVersion=${newest}&timeoutSeconds=1`);
    expect(JSON.stringify(old.body)).toMatch(/"code":410|too old/);
  }, 180_000);
});
