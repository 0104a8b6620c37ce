import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startControlPlane } from '../../../src/control-plane/main.js';
import { UsageError } from '../../../src/errors.js';
import { loadOrCreateClusterPki } from '../../../src/pki/cluster-pki.js';
import { makeTestPki } from '../../support/certs.js';
import { tlsCaller } from '../../support/tls-call.js';

const dir = mkdtempSync(join(tmpdir(), `tugboat-satoken-flags-${process.pid}-`));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the service-account key of a cluster', () => {
  it('is generated once with the CA material, 0600, and reused', () => {
    const pkiDir = join(dir, 'pki');
    const first = loadOrCreateClusterPki({ cluster: 'satoken', dir: pkiDir, apiAltNames: [] });
    expect(first.serviceAccountKey).toContain('BEGIN PRIVATE KEY');
    expect(statSync(join(pkiDir, 'sa.key')).mode & 0o777).toBe(0o600);
    const again = loadOrCreateClusterPki({ cluster: 'satoken', dir: pkiDir, apiAltNames: [] });
    expect(again.serviceAccountKey).toBe(first.serviceAccountKey);
    expect(again.changed).toBe(false);
  });
});

describe('tugboat control-plane --service-account-* flags', () => {
  const pki = makeTestPki();
  const file = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text, { mode: 0o600 });
    return path;
  };
  const base = {
    listen: '127.0.0.1:0',
    tlsCertFile: file('apiserver.crt', pki.server.cert),
    tlsPrivateKeyFile: file('apiserver.key', pki.server.key),
    clientCaFile: file('ca.crt', pki.ca.cert),
    controllers: false as const,
  };

  it('issues tokens signed by the key file for the configured issuer and audiences', async () => {
    const key = readFileSync(join(dir, 'pki', 'sa.key'), 'utf8');
    const cp = await startControlPlane({
      ...base,
      dataDir: join(dir, 'data'),
      serviceAccountSigningKeyFile: file('sa.key', key),
      serviceAccountIssuer: 'https://issuer.satoken.example',
      apiAudiences: ['satoken-api'],
    });
    try {
      const call = tlsCaller(
        () => cp.url,
        () => pki.ca.cert,
      );
      const admin = pki.client('admin', ['system:masters']);
      const tr = await call('POST', '/api/v1/namespaces/default/serviceaccounts/default/token', {
        cert: admin,
        body: {},
      });
      expect(tr.status).toBe(201);
      const claims = JSON.parse(Buffer.from(tr.body.status.token.split('.')[1], 'base64url').toString());
      expect(claims).toMatchObject({ iss: 'https://issuer.satoken.example', aud: ['satoken-api'] });
      expect((await call('GET', '/api', { token: tr.body.status.token })).status).toBe(200);
      const config = await call('GET', '/.well-known/openid-configuration', { cert: admin });
      expect(config.body.jwks_uri).toBe('https://issuer.satoken.example/openid/v1/jwks');
    } finally {
      await cp.stop();
    }
  });

  it('refuses unusable keys and issuers, naming the flag and file but never the key', async () => {
    const start = (extra: Record<string, unknown>) =>
      startControlPlane({ ...base, dataDir: join(dir, 'bad'), ...extra });
    const bad = file('bad.key', 'not a key but could be a secret');
    await expect(start({ serviceAccountSigningKeyFile: bad })).rejects.toThrow(UsageError);
    await expect(start({ serviceAccountSigningKeyFile: bad })).rejects.toThrow(
      `--service-account-signing-key-file ${bad}: not a PEM private key`,
    );
    await expect(start({ serviceAccountSigningKeyFile: bad })).rejects.not.toThrow('could be a secret');
    await expect(start({ serviceAccountSigningKeyFile: join(dir, 'missing.key') })).rejects.toThrow(
      /--service-account-signing-key-file .*missing\.key cannot be read \(ENOENT\)/,
    );
    await expect(
      start({ serviceAccountSigningKeyFile: join(dir, 'sa.key'), serviceAccountIssuer: 'http://plain' }),
    ).rejects.toThrow('--service-account-issuer http://plain is not an https URL');
    await expect(start({ serviceAccountKeyFiles: [join(dir, 'sa.key')] })).rejects.toThrow(
      '--service-account-key-file needs --service-account-signing-key-file',
    );
  });
});
