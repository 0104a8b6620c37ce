/**
 * S3 shipping benchmark on moto: (1) RPO under a steady write rate — the lag between a write's
 * acknowledgement and the upload that holds it, sampled every 50 ms and as the shipper's own
 * maximum; (2) restore time of a store of N pod-sized objects: find + download + verify + rebuild,
 * then the first open of the restored data directory.
 * Run: `npx tsx bench/store-shipping.ts [writes/s=500] [seconds=20] [pods=10000]`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAwsClients } from '../src/aws/clients.js';
import { openEmbeddedStore } from '../src/control-plane/store/embedded/embedded-store.js';
import { prepareShipping, restoreState, StateShipper } from '../src/control-plane/store/shipping/index.js';
import { startMoto } from '../test/harness/moto.js';

const [rate = 500, seconds = 20, pods = 10_000] = process.argv.slice(2).map(Number);

const pod = (i: number) =>
  new TextEncoder().encode(
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: `pod-${i}`,
        namespace: 'default',
        labels: { app: `app-${i % 50}` },
        uid: `${i}`.padStart(36, '0'),
      },
      spec: {
        nodeName: `node-${i % 100}`,
        containers: [
          {
            name: 'app',
            image: 'registry.example/app:1.2.3',
            resources: { requests: { cpu: '100m', memory: '128Mi' } },
          },
        ],
      },
      status: {
        phase: 'Running',
        podIP: `10.244.${(i >> 8) & 255}.${i & 255}`,
        conditions: [{ type: 'Ready', status: 'True' }],
      },
    }),
  );

const pct = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))] ?? 0;

async function main(): Promise<void> {
  const moto = await startMoto();
  const root = mkdtempSync(join(tmpdir(), 'tugboat-s3ship-bench-'));
  try {
    const { s3 } = await createAwsClients({ env: moto.env });
    const ref = { bucket: 's3ship-bench', owner: '123456789012' };
    await s3.ensurePrivateBucket(ref, {});
    const target = { ref, prefix: 'bench' };
    const dataDir = join(root, 'master');
    const prepared = await prepareShipping({ s3, target, dataDir, holder: 'bench', graceMs: 0 });
    const shipper = new StateShipper({ s3, target, dataDir }, prepared);
    const store = await openEmbeddedStore({ dataDir, compactIntervalMs: 0, ...shipper.storeHooks() });
    shipper.start();

    // (1) Steady writes at `rate`/s, each a pod update, issued on a fixed schedule (open loop).
    const lags: number[] = [];
    const sampler = setInterval(() => lags.push(shipper.status().lagMs), 50);
    const start = Date.now();
    const total = rate * seconds;
    const inflight: Promise<unknown>[] = [];
    for (let i = 0; i < total; i++) {
      const due = start + (i * 1000) / rate;
      const wait = due - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      inflight.push(store.create(`/registry/pods/default/rpo-${i}`, pod(i)));
      if (inflight.length > 2000) await Promise.all(inflight.splice(0));
    }
    await Promise.all(inflight);
    const achieved = total / ((Date.now() - start) / 1000);
    const revision = await store.currentRevision();
    while (shipper.status().shippedRevision < revision) await new Promise((r) => setTimeout(r, 20));
    clearInterval(sampler);
    console.log(
      `RPO at ${rate} writes/s for ${seconds} s (achieved ${achieved.toFixed(0)}/s): lag p50 ${pct(lags, 50)} ms, p99 ${pct(lags, 99)} ms, max sampled ${Math.max(...lags)} ms, max at upload ${shipper.status().maxLagMs} ms`,
    );

    // (2) A store of `pods` pods, shipped, then restored into an empty directory and opened.
    for (let i = 0; i < pods; i += 500) {
      await Promise.all(
        Array.from({ length: Math.min(500, pods - i) }, (_, k) =>
          store.create(`/registry/pods/default/pod-${i + k}`, pod(i + k)),
        ),
      );
    }
    for (let i = 0; i < total; i += 500) {
      await Promise.all(
        Array.from({ length: Math.min(500, total - i) }, (_, k) =>
          store.delete(`/registry/pods/default/rpo-${i + k}`),
        ),
      );
    }
    await store.close();
    await shipper.stop();
    const t0 = Date.now();
    const restored = await restoreState({ s3, target, dataDir: join(root, 'restored') });
    const t1 = Date.now();
    const back = await openEmbeddedStore({ dataDir: join(root, 'restored'), compactIntervalMs: 0 });
    const t2 = Date.now();
    const keys = (await back.range('/registry/pods/', { prefix: true })).kvs.length;
    await back.close();
    console.log(
      `restore of ${pods} pods (revision ${restored?.revision}, ${restored?.chunks} log objects after the snapshot): download + verify + rebuild ${t1 - t0} ms, first open ${t2 - t1} ms, total ${t2 - t0} ms (${keys} keys); load ${loadavg()[0]!.toFixed(1)}`,
    );
  } finally {
    await moto.stop();
    rmSync(root, { recursive: true, force: true });
  }
}

await main();
