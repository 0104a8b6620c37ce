import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitForHealthy } from '../../../src/bootstrap/wait-healthy.js';
import { createStore } from '../../../src/control-plane/store/index.js';
import {
  createCa,
  issueAdminCertificate,
  issueApiServerCertificate,
  renderKubeconfig,
  writeKeyFile,
} from '../../../src/pki/index.js';
import { type EtcdCluster, startEtcd } from '../../harness/etcd.js';
import { freePort, startProcess } from '../../harness/process.js';
import { createTestPki, type TestCert, type TestPki } from '../../support/test-certs.js';

// The single-file host bundle, run from a directory without node_modules, on a TLS etcd with
// client-certificate authentication: the etcd client must not read anything from disk.
describe('host bundle with --store etcd', () => {
  const dir = mkdtempSync(join(tmpdir(), `tugboat-etcd-bundle-${process.pid}-`));
  let pki: TestPki;
  let client: TestCert;
  let etcd: EtcdCluster;
  let bundle: string;
  beforeAll(async () => {
    const out = execFileSync(process.execPath, ['scripts/bundle.mjs', '--outdir', join(dir, 'out')], {
      encoding: 'utf8',
      timeout: 180_000,
    });
    const manifest = JSON.parse(out) as { file: string };
    mkdirSync(join(dir, 'host'));
    bundle = join(dir, 'host', 'tugboat.mjs');
    copyFileSync(join(dir, 'out', manifest.file), bundle);
    pki = createTestPki('etcd-bundle-ca');
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
  }, 240_000);
  afterAll(async () => {
    await etcd?.stop();
    pki?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves /readyz and writes objects into etcd over TLS', async () => {
    const ca = createCa({ cluster: 'etcd-bundle' });
    const serving = issueApiServerCertificate(ca);
    const admin = issueAdminCertificate(ca);
    const file = (name: string, pem: string) => {
      writeKeyFile(join(dir, name), pem);
      return join(dir, name);
    };
    writeFileSync(join(dir, 'ca.crt'), ca.certPem);
    const port = await freePort();
    const server = `https://127.0.0.1:${port}`;
    const proc = await startProcess(
      process.execPath,
      [
        bundle,
        'control-plane',
        '--listen',
        `127.0.0.1:${port}`,
        '--store',
        'etcd',
        '--etcd-endpoints',
        etcd.endpoints.join(','),
        '--etcd-cafile',
        file('etcd-ca.crt', pki.ca.cert),
        '--etcd-certfile',
        file('etcd-client.crt', client.cert),
        '--etcd-keyfile',
        file('etcd-client.key', client.key),
        '--tls-cert-file',
        file('apiserver.crt', serving.certPem),
        '--tls-private-key-file',
        file('apiserver.key', serving.keyPem),
        '--client-ca-file',
        join(dir, 'ca.crt'),
        '--no-controllers',
      ],
      {
        cwd: join(dir, 'host'),
        timeoutMs: 60_000,
        ready: () =>
          waitForHealthy(`${server}/readyz`, { caPem: ca.certPem, timeoutMs: 500 }).then(() => true),
      },
    );
    try {
      const kubeconfig = join(dir, 'kubeconfig');
      writeKeyFile(
        kubeconfig,
        renderKubeconfig({
          cluster: 'etcd-bundle',
          server,
          caPem: ca.certPem,
          user: 'admin',
          certPem: admin.certPem,
          keyPem: admin.keyPem,
        }),
      );
      const kubectl = (...args: string[]) =>
        execFileSync('kubectl', ['--kubeconfig', kubeconfig, ...args], { encoding: 'utf8', timeout: 60_000 });
      kubectl('create', 'configmap', 'through-etcd', '--from-literal=answer=42');
      expect(kubectl('get', 'configmap', 'through-etcd', '-o', 'jsonpath={.data.answer}')).toBe('42');

      // The object is in etcd itself, under the default prefix.
      const store = await createStore({
        kind: 'etcd',
        endpoints: etcd.endpoints,
        tls: { ca: pki.ca.cert, cert: client.cert, key: client.key },
        compactIntervalMs: 0,
      });
      try {
        const kvs = (await store.range('/', { prefix: true })).kvs.filter((kv) =>
          kv.key.includes('through-etcd'),
        );
        expect(kvs).toHaveLength(1);
        expect(new TextDecoder().decode(kvs[0]!.value)).toContain('"answer":"42"');
      } finally {
        await store.close();
      }
    } finally {
      await proc.stop(10_000);
    }
    expect(proc.child.exitCode).toBe(0);
  });
});
