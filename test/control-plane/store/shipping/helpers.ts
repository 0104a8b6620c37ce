import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { createAwsClients } from '../../../../src/aws/clients.js';
import type { S3Api } from '../../../../src/aws/s3.js';
import { openEmbeddedStore } from '../../../../src/control-plane/store/embedded/embedded-store.js';
import { prepareShipping, StateShipper } from '../../../../src/control-plane/store/shipping/index.js';
import type { StateTarget } from '../../../../src/control-plane/store/shipping/layout.js';
import { type Moto, startMoto } from '../../../harness/moto.js';

/** An S3 client for moto, a bucket made for the test, and scratch directories removed afterwards. */
export async function s3ForMoto(moto: Moto, bucket: string): Promise<{ s3: S3Api; target: StateTarget }> {
  const { s3 } = await createAwsClients({ env: moto.env });
  const ref = { bucket, owner: '123456789012' };
  await s3.ensurePrivateBucket(ref, { 'tugboat:cluster': 's3ship' });
  return { s3, target: { ref, prefix: 'clusters/s3ship' } };
}

/** An S3Api that fails every call while `down` is set (the outage), and counts calls. */
export function switchable(s3: S3Api): S3Api & { down: boolean; calls: number } {
  const wrapped = { down: false, calls: 0 } as S3Api & { down: boolean; calls: number };
  for (const name of Object.keys(s3) as (keyof S3Api)[]) {
    (wrapped as unknown as Record<string, unknown>)[name] = async (...args: unknown[]) => {
      wrapped.calls++;
      if (wrapped.down) throw new Error('connect ECONNREFUSED 127.0.0.1 (s3 outage)');
      return (s3[name] as (...a: unknown[]) => Promise<unknown>)(...args);
    };
  }
  return wrapped;
}

export function scratch(): { dir: (name: string) => string; cleanup: () => void } {
  const root = mkdtempSync(join(tmpdir(), 'tugboat-s3ship-'));
  return { dir: (name) => join(root, name), cleanup: () => rmSync(root, { recursive: true, force: true }) };
}

export async function until(
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A moto_server for the test file and a scratch directory, both removed after the file. */
export function withMoto(): { moto: () => Moto; tmp: ReturnType<typeof scratch> } {
  let moto: Moto | undefined;
  const tmp = scratch();
  beforeAll(async () => {
    moto = await startMoto();
  }, 60_000);
  afterAll(async () => {
    await moto?.stop();
    tmp.cleanup();
  });
  return { moto: () => moto!, tmp };
}

/** Opens a shipping store on `dataDir` as a master would: prepare, open with the hooks, start. */
export async function startMaster(
  s3: S3Api,
  target: StateTarget,
  dataDir: string,
  extra: { onFenced?: () => void } = {},
) {
  const prepared = await prepareShipping({ s3, target, dataDir, holder: dataDir, graceMs: 0 });
  const shipper = new StateShipper(
    { s3, target, dataDir, batchMs: 20, fenceCheckMs: 100, retryMinMs: 50, retryMaxMs: 400, ...extra },
    prepared,
  );
  // Small segments and snapshots so rotation, snapshot upload and pruning all happen.
  const store = await openEmbeddedStore({
    dataDir,
    segmentRecords: 150,
    snapshotLogBytes: 1,
    compactIntervalMs: 0,
    ...shipper.storeHooks(),
  });
  shipper.start();
  return { store, shipper, prepared };
}

/** Waits until everything `store` acknowledged so far is in S3, with no failure outstanding. */
export async function caughtUp(
  store: { currentRevision(): Promise<number> },
  shipper: StateShipper,
  timeoutMs = 15_000,
) {
  const revision = await store.currentRevision();
  const done = () => shipper.status().shippedRevision === revision && shipper.status().failures === 0;
  await until(done, timeoutMs, `revision ${revision} to reach S3`);
}
