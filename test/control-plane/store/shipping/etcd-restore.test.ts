import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStore } from '../../../../src/control-plane/store/index.js';
import {
  createStoreBackup,
  restoreEtcdFromBackup,
} from '../../../../src/control-plane/store/shipping/index.js';
import { startControlPlaneProcess } from '../../../harness/control-plane-process.js';
import { type EtcdCluster, startEtcd } from '../../../harness/etcd.js';
import { freePort, type StartedProcess } from '../../../harness/process.js';
import { jsonCaller } from '../../../support/json-call.js';
import { s3ForMoto, withMoto } from './helpers.js';

interface ConfigMap {
  metadata: { name: string; resourceVersion: string };
  data?: Record<string, string>;
}

describe('restoring a backup into etcd (real etcd, moto, a control-plane process)', () => {
  const { moto, tmp } = withMoto();
  let etcd: EtcdCluster;
  let proc: StartedProcess | undefined;
  beforeAll(async () => {
    etcd = await startEtcd();
  }, 60_000);
  afterAll(async () => {
    await proc?.stop(5_000);
    await etcd?.stop();
  });

  it('gives back exactly the backed-up objects through the API, at newer revisions; old watches get 410', async () => {
    const { s3, target } = await s3ForMoto(moto(), 'etcdbackup-restore');
    const port = await freePort();
    const url = `http://127.0.0.1:${port}/api/v1/namespaces/default/configmaps`;
    const start = async () => {
      proc = await startControlPlaneProcess(tmp.dir('master'), port, [
        '--no-controllers',
        '--store',
        'etcd',
        '--etcd-endpoints',
        etcd.endpoints.join(','),
      ]);
    };
    const call = jsonCaller(() => url);
    const list = async () => {
      const { body } = await call('GET', '');
      return { rv: body.metadata.resourceVersion as string, items: body.items as ConfigMap[] };
    };
    await start();
    // Values above 1 MiB together: the puts need several transactions by size as well as count.
    const big = 'x'.repeat(300_000);
    for (let i = 0; i < 130; i++) {
      const data = { i: String(i), ...(i < 5 ? { big } : {}) };
      expect((await call('POST', '', { metadata: { name: `cm-${i}` }, data })).status).toBe(201);
    }
    const store = await createStore({ kind: 'etcd', endpoints: etcd.endpoints });
    const info = await createStoreBackup(store, s3, target, { now: new Date('2026-12-04T02:00:00Z') });
    await store.close();
    const backedUp = await list();
    expect(backedUp.items.length).toBe(130);

    // After the backup: one deleted, one changed, one added.
    expect((await call('DELETE', '/cm-1')).status).toBe(200);
    expect((await call('PUT', '/cm-2', { metadata: { name: 'cm-2' }, data: { i: 'changed' } })).status).toBe(
      200,
    );
    expect((await call('POST', '', { metadata: { name: 'late' } })).status).toBe(201);
    const before = await list();

    await proc!.stop(10_000);
    proc = undefined;
    // Every key there at restore time is deleted (the stopped API server already removed its lease).
    const present = await createStore({ kind: 'etcd', endpoints: etcd.endpoints });
    const atRestore = (await present.range('', { prefix: true })).kvs.length;
    await present.close();
    expect(atRestore).toBeGreaterThan(130);
    const result = await restoreEtcdFromBackup({ s3, target, name: info.name, endpoints: etcd.endpoints });
    expect(result.keys).toBe(info.keys);
    expect(result.deleted).toBe(atRestore);
    await start();

    const after = await list();
    const view = (items: ConfigMap[]) => items.map((cm) => ({ name: cm.metadata.name, data: cm.data }));
    expect(view(after.items)).toEqual(view(backedUp.items));
    // Every object at a revision past everything served before: no resourceVersion reused.
    for (const cm of after.items)
      expect(Number(cm.metadata.resourceVersion)).toBeGreaterThan(Number(before.rv));
    // A watch from before the restore is told to relist.
    const watch = await fetch(`${url}?watch=true&resourceVersion=${before.rv}&timeoutSeconds=20`);
    const text = await watch.text();
    expect(text).toContain('"code":410');
  }, 240_000);

  it('refuses when etcd has no quorum, naming the recovery', async () => {
    const { s3, target } = await s3ForMoto(moto(), 'etcdbackup-noquorum');
    const store = await createStore({ kind: 'etcd', endpoints: etcd.endpoints, prefix: '/noquorum' });
    await store.create('/registry/configmaps/default/a', new TextEncoder().encode('a'));
    const info = await createStoreBackup(store, s3, target);
    await store.close();
    const dead = `http://127.0.0.1:${await freePort()}`;
    await expect(
      restoreEtcdFromBackup({ s3, target, name: info.name, endpoints: [dead], prefix: '/noquorum' }),
    ).rejects.toThrow(/cannot restore \d{8}T\d{6}Z into etcd: .*docs\/ha-masters.md#lost-quorum/);
  }, 60_000);
});
