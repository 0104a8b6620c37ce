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

  it('reports the stalled uploads, keeps every acknowledged write and catches up when S3 is back', async () => {
    const { target } = await s3ForMoto(moto(), 's3ship-partition');
    proxy = await startPausableProxy(Number(new URL(moto().endpoint).port));
    const env = { ...moto().env, AWS_ENDPOINT_URL: `http://127.0.0.1:${proxy.port}`, AWS_MAX_ATTEMPTS: '1' };
    const { s3 } = await createAwsClients({ env, requestTimeoutMs: 500 });
    const { store, shipper } = await startMaster(s3, target, tmp.dir('p'));
    for (let i = 0; i < 30; i++) await store.create(`/before/${i}`, enc('v'));
    await caughtUp(store, shipper);

    proxy.pause();
    for (let i = 0; i < 200; i++) await store.create(`/during/${i}`, enc('v'.repeat(100)));
    await until(() => shipper.status().failures >= 1, 15_000, 'a failed upload');
    const during = shipper.status();
    expect(during.shippedRevision).toBeLessThan(await store.currentRevision());
    expect(during.lastError).toMatch(/timeout|timed out|socket|ECONN/i);
    // Writes are not held up by the stalled uploads.
    const started = Date.now();
    await store.create('/during/last', enc('v'));
    expect(Date.now() - started).toBeLessThan(1_000);

    proxy.resume();
    await caughtUp(store, shipper, 30_000);
    const expected = (await store.range('', { prefix: true })).kvs;
    await store.close();
    await shipper.stop();
    await restoreState({ s3, target, dataDir: tmp.dir('p-restored') });
    const back = await openEmbeddedStore({ dataDir: tmp.dir('p-restored'), compactIntervalMs: 0 });
    expect((await back.range('', { prefix: true })).kvs).toEqual(expected);
    await back.close();
  }, 90_000);
});
