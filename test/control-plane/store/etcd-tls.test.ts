import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStore } from '../../../src/control-plane/store/index.js';
import { type EtcdCluster, startEtcd } from '../../harness/etcd.js';
import { createTestPki, type TestPki } from '../../support/test-certs.js';
import { collect } from './contract.js';

describe('etcd store over TLS with client-certificate authentication', () => {
  let pki: TestPki;
  let etcd: EtcdCluster;
  let client: { cert: string; key: string };
  beforeAll(async () => {
    pki = createTestPki('etcd-ca');
    const server = pki.issue('etcd', { serverIp: '127.0.0.1' });
    client = pki.issue('tugboat-control-plane');
    etcd = await startEtcd({
      tls: {
        ca: pki.ca.cert,
        serverCert: server.cert,
        serverKey: server.key,
        clientCert: client.cert,
        clientKey: client.key,
      },
    });
  });
  afterAll(async () => {
    await etcd?.stop();
    pki?.dispose();
  });

  it('reads, writes and watches with the CA and a client certificate', async () => {
    expect(etcd.endpoints[0]).toMatch(/^https:\/\/127\.0\.0\.1:/);
    const store = await createStore({
      kind: 'etcd',
      endpoints: etcd.endpoints,
      prefix: '/tls',
      tls: { ca: pki.ca.cert, cert: client.cert, key: client.key },
    });
    try {
      const w = await collect(store, '/a/', { prefix: true });
      const r = await store.create('/a/x', new TextEncoder().encode('secure'));
      expect(r.ok).toBe(true);
      expect(new TextDecoder().decode((await store.get('/a/x'))!.value)).toBe('secure');
      await w.waitForEvents(1);
      expect(w.events[0]!.kv.key).toBe('/a/x');
      await w.watch.cancel();
    } finally {
      await store.close();
    }
  });

  it('is refused without a client certificate', async () => {
    await expect(
      createStore({
        kind: 'etcd',
        endpoints: etcd.endpoints,
        prefix: '/tls',
        tls: { ca: pki.ca.cert },
        retryTimeoutMs: 1_000,
      }),
    ).rejects.toMatchObject({ reason: 'Unavailable', message: expect.stringMatching(/certificate/) });
  });

  it('is refused when the server is not signed by the given CA', async () => {
    const other = createTestPki('other-ca');
    try {
      const stranger = other.issue('tugboat-control-plane');
      await expect(
        createStore({
          kind: 'etcd',
          endpoints: etcd.endpoints,
          prefix: '/tls',
          tls: { ca: other.ca.cert, cert: stranger.cert, key: stranger.key },
          retryTimeoutMs: 1_000,
        }),
      ).rejects.toMatchObject({ reason: 'Unavailable' });
    } finally {
      other.dispose();
    }
  });
});
