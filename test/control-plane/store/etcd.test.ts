import { afterAll, beforeAll } from 'vitest';
import { createStore } from '../../../src/control-plane/store/index.js';
import { type EtcdCluster, startEtcd } from '../../harness/etcd.js';
import { storeContract } from './contract.js';

let etcd: EtcdCluster;
let n = 0;

beforeAll(async () => {
  etcd = await startEtcd();
});
afterAll(async () => {
  await etcd?.stop();
});

// Each test gets its own key prefix; revisions are shared, so the suite asserts only relative order.
storeContract('etcd', () =>
  createStore({ kind: 'etcd', endpoints: etcd.endpoints, prefix: `/tugboat-test-${process.pid}-${n++}` }),
);
