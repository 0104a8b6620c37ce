import { afterAll, beforeAll } from 'vitest';
import type { Store } from '../../src/control-plane/store/types.js';
import { type EtcdCluster, startEtcd } from '../harness/etcd.js';
import { type Moto, startMoto } from '../harness/moto.js';

/** A moto_server and a one-member etcd for the test file; stores handed to `keep` are closed after it. */
export function withEtcdAndMoto(): {
  moto: () => Moto;
  etcd: () => EtcdCluster;
  keep: (store: Store) => Store;
} {
  let moto: Moto | undefined;
  let etcd: EtcdCluster | undefined;
  const stores: Store[] = [];
  beforeAll(async () => {
    moto = await startMoto();
    etcd = await startEtcd();
  }, 60_000);
  afterAll(async () => {
    for (const store of stores) await store.close();
    await etcd?.stop();
    await moto?.stop();
  });
  return {
    moto: () => moto!,
    etcd: () => etcd!,
    keep: (store) => {
      stores.push(store);
      return store;
    },
  };
}
