/**
 * etcd backup benchmark (real etcd, moto): a store of N pod-sized objects in etcd is backed up
 * (`createStoreBackup`: every key read at one revision in pages of 200, written as a snapshot file,
 * uploaded), once idle and once while a writer keeps changing pods, then restored into the emptied
 * etcd (`restoreEtcdFromBackup`: verified download, delete, puts in transactions, compaction).
 * Reports times and the process's peak RSS growth during the backup.
 * Run: `npx tsx bench/etcd-backup.ts [pods=10000]`.
 */
import { loadavg } from 'node:os';
import { createAwsClients } from '../src/aws/clients.js';
import { createStore } from '../src/control-plane/store/index.js';
import { createStoreBackup, restoreEtcdFromBackup } from '../src/control-plane/store/shipping/index.js';
import { startEtcd } from '../test/harness/etcd.js';
import { startMoto } from '../test/harness/moto.js';

const [pods = 10_000] = process.argv.slice(2).map(Number);

/** A pod-sized object (~300 bytes of JSON). */
function pod(i: number, phase = 'Running'): Uint8Array {
  const metadata = { name: `pod-${i}`, namespace: 'default', labels: { app: `app-${i % 50}` } };
  const containers = [{ name: 'app', image: 'registry.example/app:1.2.3' }];
  const status = { phase, podIP: `10.244.${(i >> 8) & 255}.${i & 255}` };
  const object = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata,
    spec: { nodeName: `node-${i % 100}`, containers },
    status,
  };
  return new TextEncoder().encode(JSON.stringify(object));
}

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t0 = Date.now();
  return [await fn(), Date.now() - t0];
}

async function main(): Promise<void> {
  const moto = await startMoto();
  const etcd = await startEtcd();
  const store = await createStore({ kind: 'etcd', endpoints: etcd.endpoints, compactIntervalMs: 0 });
  try {
    const { s3 } = await createAwsClients({ env: moto.env });
    const ref = { bucket: 'etcd-backup-bench', owner: '123456789012' };
    await s3.ensurePrivateBucket(ref, {});
    const target = { ref, prefix: 'bench' };
    const key = (i: number) => `/registry/pods/default/pod-${i}`;
    for (let i = 0; i < pods; i += 200)
      await Promise.all(
        Array.from({ length: Math.min(200, pods - i) }, (_, k) => store.create(key(i + k), pod(i + k))),
      );

    let peak = 0;
    const rss0 = process.memoryUsage().rss;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss - rss0);
    }, 20);
    const [idle, idleMs] = await timed(() => createStoreBackup(store, s3, target, { now: new Date(1e12) }));
    clearInterval(sampler);

    let writing = true;
    let writes = 0;
    const writer = (async () => {
      for (let i = 0; writing; i = (i + 1) % pods) {
        const kv = await store.get(key(i));
        if (kv) await store.update(key(i), pod(i, 'Succeeded'), kv.modRevision);
        writes++;
      }
    })();
    const [busy, busyMs] = await timed(() =>
      createStoreBackup(store, s3, target, { now: new Date(1e12 + 1000) }),
    );
    writing = false;
    await writer;

    const [restored, restoreMs] = await timed(() =>
      restoreEtcdFromBackup({ s3, target, name: idle.name, endpoints: etcd.endpoints }),
    );
    console.log(
      JSON.stringify({
        pods,
        load: loadavg()[0]!.toFixed(1),
        backupIdleMs: idleMs,
        backupIdleKeys: idle.keys,
        backupPeakRssGrowthMiB: Math.round(peak / 2 ** 20),
        backupUnderWritesMs: busyMs,
        backupUnderWritesKeys: busy.keys,
        writesDuringBackup: writes,
        restoreMs,
        restoredKeys: restored.keys,
      }),
    );
  } finally {
    await store.close();
    await etcd.stop();
    await moto.stop();
  }
}

await main();
