import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseTokenFile } from '../../../src/control-plane/auth/token-file.js';
import { type RunningControlPlane, startControlPlane } from '../../../src/control-plane/main.js';
import { ConfigError, UsageError } from '../../../src/errors.js';
import { makeTestPki, type TestPki } from '../../support/certs.js';

const dir = mkdtempSync(join(tmpdir(), `tugboat-cp-tls-${process.pid}-`));
let pki: TestPki;
let cp: RunningControlPlane;

function get(path: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    https
      .get(`${cp.url.replace('0.0.0.0', '127.0.0.1')}${path}`, { ca: pki.ca.cert, headers }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      })
      .on('error', reject);
  });
}

beforeAll(async () => {
  pki = makeTestPki();
  const file = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text, { mode: 0o600 });
    return path;
  };
  cp = await startControlPlane({
    dataDir: join(dir, 'data'),
    listen: '127.0.0.1:0',
    tlsCertFile: file('apiserver.crt', pki.server.cert),
    tlsPrivateKeyFile: file('apiserver.key', pki.server.key),
    clientCaFile: file('ca.crt', pki.ca.cert),
    tokenAuthFile: file('tokens.csv', '# ci tokens\nci-token-0123456789,ci,1001,"system:masters,ci"\n'),
    controllers: false,
  });
});
afterAll(async () => {
  await cp?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('control plane from files', () => {
  it('serves TLS from the given files and authenticates tokens from the token file', async () => {
    expect(cp.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(await get('/api/v1/namespaces')).toBe(401);
    expect(await get('/api/v1/namespaces', { authorization: 'Bearer ci-token-0123456789' })).toBe(200);
    expect(await get('/version')).toBe(200);
  });

  it('parses token files and names the bad line without echoing the token', () => {
    const tokens = parseTokenFile('t1,alice,1\nt2,bob,2,"a,b"\n');
    expect(tokens.get('t2')).toEqual({ name: 'bob', groups: ['a', 'b'] });
    expect(() => parseTokenFile('secret-value-only\n', 'tokens.csv')).toThrow(ConfigError);
    try {
      parseTokenFile('secret-value-only\n', 'tokens.csv');
    } catch (err) {
      expect((err as Error).message).toContain('tokens.csv:1');
      expect((err as Error).message).not.toContain('secret-value-only');
    }
  });

  it('refuses missing files and bad listen addresses with usage errors', async () => {
    await expect(
      startControlPlane({ dataDir: join(dir, 'x'), listen: 'nope', insecureLoopbackHttp: true }),
    ).rejects.toThrow(UsageError);
    await expect(
      startControlPlane({
        dataDir: join(dir, 'y'),
        listen: '127.0.0.1:0',
        tlsCertFile: join(dir, 'missing.crt'),
        tlsPrivateKeyFile: join(dir, 'missing.key'),
      }),
    ).rejects.toThrow(/--tls-cert-file .*missing\.crt cannot be read \(ENOENT\)/);
  });
});
