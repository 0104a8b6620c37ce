import { afterAll, describe, expect, it } from 'vitest';
import { createAwsClients } from '../../../../src/aws/clients.js';
import { openEmbeddedStore } from '../../../../src/control-plane/store/embedded/embedded-store.js';
import { restoreState } from '../../../../src/control-plane/store/shipping/index.js';
import { type PausableProxy, startPausableProxy } from '../../../harness/pausable-proxy.js';
import { caughtUp, s3ForMoto, startMaster, until, withMoto } from './helpers.js';

const enc = (s: string) => new TextEncoder().encode(s);

describe('shipping through a network partition (real SDK, moto behind a pausable proxy)', () => {
  const { moto, tmp } = withMoto();
  let proxy: PausableProxy | undefined;
  afterAll(async () => {
    await proxy?.close();
  });

  it('S3 away for 30 s: reports the stalled uploads, acknowledges writes meanwhile, keeps every one and catches up when S3 is back', async () => {
    const { target } = await s3ForMoto(moto(), 's3ship-partition');
    proxy = await startPausableProxy(Number(new URL(moto().endpoint).port));
    const env = { ...moto().env, AWS_ENDPOINT_URL: `http://127.0.0.1:${proxy.port}`, AWS_MAX_ATTEMPTS: '1' };
    const { s3 } = await createAwsClients({ env, requestTimeoutMs: 500 });
    const { store, shipper } = await startMaster(s3, target, tmp.dir('p'));
    for (let i = 0; i < 30; i++) await store.create(`/before/${i}`, enc('v'));
    await caughtUp(store, shipper);

    // S3 unreachable for 30 s (issue #15's fault), with writes going on all the while.
    proxy.pause();
    const pausedAt = Date.now();
    let written = 0;
    while (Date.now() - pausedAt < 30_000) {
      await store.create(`/during/${written++}`, enc('v'.repeat(100)));
      await new Promise((r) => setTimeout(r, 100));
    }
    await until(() => shipper.status().failures >= 1, 15_000, 'a failed upload');
    const during = shipper.status();
    expect(during.shippedRevision).toBeLessThan(await store.currentRevision());
    expect(during.lastError).toMatch(/timeout|timed out|socket|ECONN/i);
    // Writes are not held up by the stalled uploads: every one was acknowledged with S3 away.
    expect(written).toBeGreaterThan(50);
    expect((await store.range('/during/', { prefix: true })).kvs).toHaveLength(written);

    proxy.resume();
    await caughtUp(store, shipper, 30_000);
    const expected = (await store.range('', { prefix: true })).kvs;
    await store.close();
    await shipper.stop();
    await restoreState({ s3, target, dataDir: tmp.dir('p-restored') });
    const back = await openEmbeddedStore({ dataDir: tmp.dir('p-restored'), compactIntervalMs: 0 });
    expect((await back.range('', { prefix: true })).kvs).toEqual(expected);
    await back.close();
  }, 180_000);
});
