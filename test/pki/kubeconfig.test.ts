import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { createCa, issueAdminCertificate, renderKubeconfig, writeKeyFile } from '../../src/pki/index.js';

const ca = createCa({ cluster: 'demo' });
const admin = issueAdminCertificate(ca);
const dir = mkdtempSync(join(tmpdir(), `tugboat-kc-${process.pid}-`));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('renderKubeconfig', () => {
  const text = renderKubeconfig({
    cluster: 'demo',
    server: 'https://203.0.113.7:6443',
    caPem: ca.certPem,
    user: 'admin',
    certPem: admin.certPem,
    keyPem: admin.keyPem,
  });

  it('has one cluster, user and context, with inline base64 PEM', () => {
    const doc = parse(text);
    expect(doc['current-context']).toBe('demo');
    expect(doc.clusters).toEqual([
      {
        name: 'demo',
        cluster: {
          server: 'https://203.0.113.7:6443',
          'certificate-authority-data': Buffer.from(ca.certPem).toString('base64'),
        },
      },
    ]);
    expect(doc.contexts).toEqual([{ name: 'demo', context: { cluster: 'demo', user: 'admin@demo' } }]);
    const user = doc.users[0];
    expect(user.name).toBe('admin@demo');
    expect(Buffer.from(user.user['client-key-data'], 'base64').toString()).toBe(admin.keyPem);
    expect(Buffer.from(user.user['client-certificate-data'], 'base64').toString()).toBe(admin.certPem);
  });

  it('refuses a plain-http server URL', () => {
    expect(() =>
      renderKubeconfig({
        cluster: 'x',
        server: 'http://127.0.0.1:6443',
        caPem: ca.certPem,
        user: 'admin',
        certPem: admin.certPem,
        keyPem: admin.keyPem,
      }),
    ).toThrow(/must be an https:\/\/ URL/);
  });
});

describe('writeKeyFile', () => {
  it('creates the file 0600 and its directory 0700', () => {
    const path = join(dir, 'nested', 'ca.key');
    writeKeyFile(path, ca.keyPem);
    expect(readFileSync(path, 'utf8')).toBe(ca.keyPem);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'nested')).mode & 0o777).toBe(0o700);
  });

  it('replaces a world-readable file with a 0600 one', () => {
    const path = join(dir, 'open.key');
    writeFileSync(path, 'old', { mode: 0o644 });
    writeKeyFile(path, 'new secret');
    expect(readFileSync(path, 'utf8')).toBe('new secret');
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });
});
