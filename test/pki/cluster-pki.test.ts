import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadOrCreateClusterPki, loadOrCreateNodeCertificate } from '../../src/pki/index.js';

const root = mkdtempSync(join(tmpdir(), `tugboat-cluster-pki-${process.pid}-`));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('loadOrCreateClusterPki', () => {
  const dir = join(root, 'demo', 'pki');

  it('creates the CA and certificates once, keys 0600, then reuses them unchanged', () => {
    const first = loadOrCreateClusterPki({ cluster: 'demo', dir, apiAltNames: ['203.0.113.7'] });
    expect(first.changed).toBe(true);
    expect(statSync(join(dir, 'ca.key')).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'apiserver.key')).mode & 0o777).toBe(0o600);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    const second = loadOrCreateClusterPki({ cluster: 'demo', dir, apiAltNames: ['203.0.113.7'] });
    expect(second.changed).toBe(false);
    expect(second.apiServer.certPem).toBe(first.apiServer.certPem);
    expect(second.ca.certPem).toBe(first.ca.certPem);
    expect(new X509Certificate(second.apiServerClient.certPem).subject).toBe(
      'O=tugboat:apiservers\nCN=tugboat-apiserver',
    );
  });

  it('re-issues only the API certificate when an address is added, keeping the CA', () => {
    const before = readFileSync(join(dir, 'admin.crt'), 'utf8');
    const caBefore = readFileSync(join(dir, 'ca.crt'), 'utf8');
    const pki = loadOrCreateClusterPki({
      cluster: 'demo',
      dir,
      apiAltNames: ['203.0.113.7', 'api.demo.example.com'],
    });
    expect(pki.changed).toBe(true);
    expect(new X509Certificate(pki.apiServer.certPem).checkHost('api.demo.example.com')).toBe(
      'api.demo.example.com',
    );
    expect(readFileSync(join(dir, 'admin.crt'), 'utf8')).toBe(before);
    expect(pki.ca.certPem).toBe(caBefore);
  });

  it('renews a certificate close to expiry', () => {
    const later = new Date(Date.now() + 340 * 86_400_000);
    const pki = loadOrCreateClusterPki({
      cluster: 'demo',
      dir,
      apiAltNames: ['203.0.113.7', 'api.demo.example.com'],
      now: later,
    });
    expect(pki.changed).toBe(true);
    expect(new Date(new X509Certificate(pki.admin.certPem).validTo).getTime()).toBeGreaterThan(
      later.getTime(),
    );
  });

  it('refuses half a CA rather than silently making a new one', () => {
    const half = join(root, 'half');
    loadOrCreateClusterPki({ cluster: 'half', dir: half, apiAltNames: [] });
    unlinkSync(join(half, 'ca.key'));
    expect(() => loadOrCreateClusterPki({ cluster: 'half', dir: half, apiAltNames: [] })).toThrow(
      /only half of the cluster CA/,
    );
  });

  it('keeps one certificate per node and reuses it', () => {
    const pki = loadOrCreateClusterPki({ cluster: 'demo', dir, apiAltNames: [] });
    const a = loadOrCreateNodeCertificate(pki, dir, 'w1');
    expect(loadOrCreateNodeCertificate(pki, dir, 'w1')).toEqual(a);
    expect(loadOrCreateNodeCertificate(pki, dir, 'w2').keyPem).not.toBe(a.keyPem);
    expect(statSync(join(dir, 'nodes', 'w1.key')).mode & 0o777).toBe(0o600);
  });
});
