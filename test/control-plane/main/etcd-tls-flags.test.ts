import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startControlPlane } from '../../../src/control-plane/main.js';

const dir = mkdtempSync(join(tmpdir(), `tugboat-etcd-flags-${process.pid}-`));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string) => {
  const path = join(dir, name);
  writeFileSync(path, 'PEM');
  return path;
};
const base = {
  listen: '127.0.0.1:0',
  insecureLoopbackHttp: true,
  store: 'etcd' as const,
  etcdEndpoints: ['https://127.0.25.9:2379'],
};

describe('--etcd-cafile / --etcd-certfile / --etcd-keyfile', () => {
  it('needs the certificate and its key together', async () => {
    await expect(
      startControlPlane({ ...base, etcdCaFile: file('ca.crt'), etcdCertFile: file('c.crt') }),
    ).rejects.toThrow('pass both --etcd-certfile and --etcd-keyfile, or neither');
  });

  it('needs the CA of the members for a client certificate', async () => {
    await expect(
      startControlPlane({ ...base, etcdCertFile: file('c.crt'), etcdKeyFile: file('c.key') }),
    ).rejects.toThrow('--etcd-certfile needs --etcd-cafile (the CA of the members)');
  });

  it('names the flag of a file it cannot read', async () => {
    await expect(startControlPlane({ ...base, etcdCaFile: join(dir, 'missing.crt') })).rejects.toThrow(
      '--etcd-cafile',
    );
  });
});
