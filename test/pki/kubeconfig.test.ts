import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import {
  createCa,
  defaultKubeconfigPath,
  issueAdminCertificate,
  mergeKubeconfig,
  renderKubeconfig,
  writeKeyFile,
} from '../../src/pki/index.js';

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

describe('mergeKubeconfig', () => {
  const render = (cluster: string, server: string) =>
    renderKubeconfig({
      cluster,
      server,
      caPem: ca.certPem,
      user: 'admin',
      certPem: admin.certPem,
      keyPem: admin.keyPem,
    });

  it('adds a cluster to an existing kubeconfig, keeps the others, and real kubectl reads it', () => {
    const merged = mergeKubeconfig(
      mergeKubeconfig(undefined, render('one', 'https://127.0.0.1:6443')),
      render('two', 'https://127.0.0.2:6443'),
    );
    const again = mergeKubeconfig(merged, render('one', 'https://127.0.0.9:6443'));
    const path = join(dir, 'merged-config');
    writeKeyFile(path, again);
    const contexts = execFileSync('kubectl', ['config', 'get-contexts', '-o', 'name', '--kubeconfig', path], {
      encoding: 'utf8',
    });
    expect(contexts.trim().split('\n').sort()).toEqual(['one', 'two']);
    const current = execFileSync('kubectl', ['config', 'current-context', '--kubeconfig', path], {
      encoding: 'utf8',
    });
    expect(current.trim()).toBe('one');
    const view = JSON.parse(
      execFileSync('kubectl', ['config', 'view', '--raw', '-o', 'json', '--kubeconfig', path], {
        encoding: 'utf8',
      }),
    );
    const servers = Object.fromEntries(
      view.clusters.map((c: { name: string; cluster: { server: string } }) => [c.name, c.cluster.server]),
    );
    expect(servers).toEqual({ one: 'https://127.0.0.9:6443', two: 'https://127.0.0.2:6443' });
    expect(view.users.map((u: { name: string }) => u.name).sort()).toEqual(['admin@one', 'admin@two']);
  });

  it('keeps unrelated entries and preferences of a hand-written kubeconfig', () => {
    const handWritten = stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'prod', cluster: { server: 'https://prod.example:6443' } }],
      users: [{ name: 'me', user: { token: 'x' } }],
      contexts: [{ name: 'prod', context: { cluster: 'prod', user: 'me' } }],
      'current-context': 'prod',
      preferences: { colors: true },
    });
    const merged = parse(mergeKubeconfig(handWritten, render('demo', 'https://127.0.0.1:6443')));
    expect(merged.clusters.map((c: { name: string }) => c.name)).toEqual(['prod', 'demo']);
    expect(merged.preferences).toEqual({ colors: true });
    expect(merged['current-context']).toBe('demo');
  });

  it('refuses an existing file that is not a mapping, and finds the default path', () => {
    expect(() => mergeKubeconfig('- a\n- b\n', render('x', 'https://127.0.0.1:6443'))).toThrow(
      /not a YAML mapping/,
    );
    // kubectl's rule with a list and no file existing: the last entry (see kubeconfig-files.test.ts).
    expect(defaultKubeconfigPath({ KUBECONFIG: ':/nonexistent-kc/a:/nonexistent-kc/b' }, '/home/u')).toBe(
      '/nonexistent-kc/b',
    );
    expect(defaultKubeconfigPath({}, '/home/u')).toBe('/home/u/.kube/config');
  });
});
