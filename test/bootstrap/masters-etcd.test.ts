import { X509Certificate } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { BootstrapHost, BootstrapHosts } from '../../src/bootstrap/bootstrap-hosts.js';
import { bootstrapInventory } from '../../src/bootstrap/bootstrap-inventory.js';
import { etcdPaths } from '../../src/bootstrap/etcd-install.js';
import { inventoryApi } from '../../src/bootstrap/inventory-api.js';
import { buildHostLayout } from '../../src/bootstrap/layout.js';
import {
  etcdEndpointsFor,
  etcdStartBarrier,
  mastersEtcd,
  waitEtcdMemberHealthy,
} from '../../src/bootstrap/masters-etcd.js';
import { createCa, issueEtcdMemberCertificate, loadOrCreateClusterPki } from '../../src/pki/index.js';
import { LocalShell } from '../../src/ssh/local-shell.js';

const dir = mkdtempSync(join(tmpdir(), `tugboat-masters-etcd-${process.pid}-`));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const master = (n: number): BootstrapHost => ({
  name: `m${n}`,
  address: `198.51.100.${n}`,
  privateAddress: `10.0.${n}.4`,
  port: 22,
  user: 'admin',
  role: 'master',
});
const masters = [1, 2, 3].map(master);
const inventory: BootstrapHosts = {
  cluster: 'ha',
  runtime: 'docker',
  master: masters[0]!,
  masters,
  workers: [],
};

describe('mastersEtcd', () => {
  const pkiDir = join(dir, 'state', 'pki');
  const pki = loadOrCreateClusterPki({ cluster: 'ha', dir: pkiDir, apiAltNames: [] });

  it('one member per master on its private address, with a certificate naming it, kept for the next run', () => {
    const etcd = mastersEtcd('ha', masters, pki, pkiDir);
    expect(etcd.members).toEqual([
      { name: 'm1', address: '10.0.1.4' },
      { name: 'm2', address: '10.0.2.4' },
      { name: 'm3', address: '10.0.3.4' },
    ]);
    expect(etcd.clusterToken).toBe('tugboat-ha');
    const cert = new X509Certificate(etcd.memberCerts.get('m2')!.certPem);
    expect(cert.subject).toContain('CN=tugboat-etcd-peer');
    for (const ip of ['10.0.2.4', '198.51.100.2', '127.0.0.1']) expect(cert.checkIP(ip), ip).toBe(ip);
    expect(cert.checkIP('10.0.1.4')).toBeUndefined();
    expect(new X509Certificate(etcd.clientCert.certPem).subject).toContain(
      'CN=tugboat-apiserver-etcd-client',
    );
    // A second run reuses every certificate (so it uploads nothing and restarts nothing).
    const again = mastersEtcd('ha', masters, pki, pkiDir);
    expect(again.memberCerts.get('m2')).toEqual(etcd.memberCerts.get('m2'));
    expect(again.clientCert).toEqual(etcd.clientCert);
    // A master whose address changed gets a new certificate.
    const moved = mastersEtcd(
      'ha',
      [masters[0]!, { ...masters[1]!, privateAddress: '10.0.2.9' }, masters[2]!],
      pki,
      pkiDir,
    );
    expect(new X509Certificate(moved.memberCerts.get('m2')!.certPem).checkIP('10.0.2.9')).toBe('10.0.2.9');
  });

  it('lists each API server its own member first', () => {
    const etcd = mastersEtcd('ha', masters, pki, pkiDir);
    expect(etcdEndpointsFor('m2', etcd.members)).toEqual([
      'https://10.0.2.4:2379',
      'https://10.0.1.4:2379',
      'https://10.0.3.4:2379',
    ]);
  });
});

describe('inventoryApi', () => {
  it('names every master address and the DNS name in the serving certificate; the kubeconfig uses the name', () => {
    const api = inventoryApi({ inventory, stateDir: join(dir, 'api'), apiDns: 'api.ha.example.com' });
    expect(api.server).toBe('https://198.51.100.1:6443');
    expect(api.servers).toEqual(masters.map((m) => `https://${m.address}:6443`));
    expect(api.kubeconfigServer).toBe('https://api.ha.example.com:6443');
    const cert = new X509Certificate(api.pki.apiServer.certPem);
    for (const m of masters) {
      expect(cert.checkIP(m.address)).toBe(m.address);
      expect(cert.checkIP(m.privateAddress!)).toBe(m.privateAddress);
    }
    expect(cert.checkHost('api.ha.example.com')).toBe('api.ha.example.com');
  });

  it('one master without a DNS name: its server, its connect address only, as before', () => {
    const one = inventoryApi({ inventory: { ...inventory, masters: undefined }, stateDir: join(dir, 'one') });
    expect(one.servers).toEqual(['https://198.51.100.1:6443']);
    expect(one.kubeconfigServer).toBe(one.server);
    expect(new X509Certificate(one.pki.apiServer.certPem).checkIP('10.0.1.4')).toBeUndefined();
  });
});

describe('etcdStartBarrier', () => {
  it('releases every master once all started, and the waiting ones with the reason when one fails', async () => {
    const ok = etcdStartBarrier(['m1', 'm2']);
    const first = ok.started('m1');
    let released = false;
    void first.then(() => {
      released = true;
    });
    await new Promise((r) => setTimeout(r, 5));
    expect(released).toBe(false);
    await ok.started('m2');
    await first;
    const broken = etcdStartBarrier(['m1', 'm2', 'm3']);
    const waiting = broken.started('m1');
    broken.failed('m3', new Error('preflight: no space left'));
    await expect(waiting).rejects.toThrow('etcd on m3 was not started (preflight: no space left)');
  });
});

describe('waitEtcdMemberHealthy', () => {
  it('fails within its bound naming the member that does not answer, and why', async () => {
    const layout = buildHostLayout({ root: join(dir, 'nowhere') });
    const noFiles = waitEtcdMemberHealthy(new LocalShell({ host: 'm2' }), {
      member: { name: 'm2', address: '127.0.26.9' },
      layout,
      nodePath: process.execPath,
      timeoutMs: 200,
    });
    await expect(noFiles).rejects.toThrow(/\(last: ENOENT: no such file or directory, open '.*ca\.crt'\)/);
    // With its certificates in place: nothing listens on the member's address.
    const paths = etcdPaths(layout);
    const ca = createCa({ cluster: 'ha' });
    const cert = issueEtcdMemberCertificate(ca, { altNames: ['127.0.26.9'] });
    mkdirSync(dirname(paths.ca), { recursive: true });
    writeFileSync(paths.ca, ca.certPem);
    writeFileSync(paths.cert, cert.certPem);
    writeFileSync(paths.key, cert.keyPem, { mode: 0o600 });
    const started = Date.now();
    await expect(
      waitEtcdMemberHealthy(new LocalShell({ host: 'm2' }), {
        // Nothing listens there: a port of this helper's loopback range with no etcd.
        member: { name: 'm2', address: '127.0.26.9' },
        layout,
        nodePath: process.execPath,
        timeoutMs: 1_500,
        intervalMs: 300,
      }),
    ).rejects.toThrow(
      /^etcd member m2 \(127\.0\.26\.9\) was not healthy within 1500 ms \(last: connect ECONNREFUSED 127\.0\.26\.9:2379\)/,
    );
    expect(Date.now() - started).toBeLessThan(15_000);
  });
});

describe('bootstrapInventory with several masters', () => {
  it('refuses the embedded store before touching any host', async () => {
    const touched: string[] = [];
    await expect(
      bootstrapInventory({
        inventory,
        stateDir: join(dir, 'embedded'),
        bundle: { file: 'tugboat-host-x.mjs', content: Buffer.from('') },
        store: 'embedded',
        openShell: async (h) => {
          touched.push(h.name);
          return new LocalShell({ host: h.name });
        },
      }),
    ).rejects.toThrow(
      '3 masters need store: etcd (the embedded store lives on one master): set store: etcd or use one master',
    );
    expect(touched).toEqual([]);
  });
});
