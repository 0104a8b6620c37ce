/**
 * Backup restore benchmark on moto: a store of N pods is shipped, backed up, then changed (10% of
 * the pods deleted, 10% re-written); it times `backup create`, the restore plan (`--dry-run`: both
 * states restored and compared key by key), writing the backup as a new generation, and the next
 * master's restore of it (download + verify + rebuild) with its first open.
 * Run: `npx tsx bench/restore.ts [pods=10000]`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAwsClients } from '../src/aws/clients.js';
import { openEmbeddedStore } from '../src/control-plane/store/embedded/embedded-store.js';
import {
  applyBackupRestore,
  createBackup,
  prepareBackupRestore,
  prepareShipping,
  restoreState,
  StateShipper,
} from '../src/control-plane/store/shipping/index.js';
import { startMoto } from '../test/harness/moto.js';

const [pods = 10_000] = process.argv.slice(2).map(Number);

const pod = (i: number, phase = 'Running') =>
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
          { name: 'app', image: 'registry.example/app:1.2.3', resources: { requests: { cpu: '100m' } } },
        ],
      },
      status: {
        phase,
        podIP: `10.244.${(i >> 8) & 255}.${i & 255}`,
        conditions: [{ type: 'Ready', status: 'True' }],
      },
    }),
  );

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t0 = Date.now();
  return [await fn(), Date.now() - t0];
}

async function batches(n: number, fn: (i: number) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < n; i += 500)
    await Promise.all(Array.from({ length: Math.min(500, n - i) }, (_, k) => fn(i + k)));
}

async function main(): Promise<void> {
  const moto = await startMoto();
  const root = mkdtempSync(join(tmpdir(), 'tugboat-restore-bench-'));
  try {
    const { s3 } = await createAwsClients({ env: moto.env });
    const ref = { bucket: 'restore-bench', owner: '123456789012' };
    await s3.ensurePrivateBucket(ref, {});
    const target = { ref, prefix: 'bench' };
    const dataDir = join(root, 'master');
    const prepared = await prepareShipping({ s3, target, dataDir, holder: 'bench', graceMs: 0 });
    const shipper = new StateShipper({ s3, target, dataDir }, prepared);
    const store = await openEmbeddedStore({ dataDir, compactIntervalMs: 0, ...shipper.storeHooks() });
    shipper.start();
    const key = (i: number) => `/registry/pods/default/pod-${i}`;
    await batches(pods, (i) => store.create(key(i), pod(i)));
    await shipper.flush();
    const [backup, backupMs] = await timed(() => createBackup(s3, target));
    const tenth = Math.floor(pods / 10);
    await batches(tenth, (i) => store.delete(key(i)));
    await batches(tenth, async (i) => {
      const kv = await store.get(key(tenth + i));
      if (kv) await store.update(key(tenth + i), pod(tenth + i, 'Succeeded'), kv.modRevision);
    });
    await store.close();
    await shipper.stop();

    const [plan, planMs] = await timed(() => prepareBackupRestore(s3, target, target, backup.name));
    const [applied, applyMs] = await timed(() => applyBackupRestore(s3, target, plan, 'bench'));
    const [, restoreMs] = await timed(() => restoreState({ s3, target, dataDir: join(root, 'next') }));
    const [back, openMs] = await timed(() =>
      openEmbeddedStore({ dataDir: join(root, 'next'), compactIntervalMs: 0 }),
    );
    const keys = (await back.range('/registry/pods/', { prefix: true })).kvs.length;
    await back.close();
    console.log(
      `${pods} pods: backup create ${backupMs} ms; plan ${planMs} ms (brings back ${plan.plan.added.count}, reverts ${plan.plan.changed.count}); write generation ${applied.generation} ${applyMs} ms; next master: restore ${restoreMs} ms + first open ${openMs} ms (${keys} pods, revision ${applied.revision}); total from plan ${planMs + applyMs + restoreMs + openMs} ms; load ${loadavg()[0]!.toFixed(1)}`,
    );
  } finally {
    await moto.stop();
    rmSync(root, { recursive: true, force: true });
  }
}

await main();
