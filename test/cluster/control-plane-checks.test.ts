import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { masterControlPlaneChecks } from '../../src/cluster/control-plane-checks.js';
import { renderReadyz } from '../../src/control-plane/api/nonresource.js';
import { createCa, issueApiServerCertificate } from '../../src/pki/index.js';
import type { Host } from '../../src/provision/cluster-instances.js';

// Two masters on loopback addresses: one answers /readyz like an API server whose etcd lost
// quorum, the other address has nothing listening.
const ca = createCa({ cluster: 'checks' });
const serving = issueApiServerCertificate(ca, { altNames: ['127.0.28.1', '127.0.28.2'] });
const lost = {
  name: 'etcd',
  ok: false,
  detail: 'etcd has lost quorum: down: m2 (https://127.0.28.2:2379: refused)',
};
const root = mkdtempSync(join(tmpdir(), 'tugboat-checks-'));
const host = (n: number): Host => ({
  id: `i-${n}`,
  role: 'master',
  group: `master-${n}`,
  zone: 'us-east-1a',
  lifecycleState: 'InService',
  state: 'running',
  privateIp: `10.0.${n}.5`,
  eip: { allocationId: `eipalloc-${n}`, publicIp: `127.0.28.${n}` },
});

describe('tugboat status: each master API server /readyz, by its Elastic IP, with the local CA', () => {
  let srv: Server;
  let port: number;
  const paths: string[] = [];
  beforeAll(async () => {
    srv = createServer({ cert: serving.certPem, key: serving.keyPem }, (req, res) => {
      paths.push(req.url ?? '');
      const answer = renderReadyz(true, lost, true);
      res.writeHead(answer.code).end(answer.text);
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.28.1', r));
    port = (srv.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await new Promise((r) => srv?.close(r));
    rmSync(root, { recursive: true, force: true });
  });

  it('asks nothing without the cluster CA in the local state', async () => {
    expect(
      await masterControlPlaneChecks('checks', [host(1)], { stateRoot: root, apiPort: port }),
    ).toBeUndefined();
  });

  it('reports the store line of an answering master and the reason of a silent one; workers and masters with no address are not asked', async () => {
    mkdirSync(join(root, 'checks', 'pki'), { recursive: true });
    writeFileSync(join(root, 'checks', 'pki', 'ca.crt'), ca.certPem);
    // No Elastic IP and no public address: nothing to ask it at.
    const noEip: Host = { ...host(3), eip: undefined } as Host;
    const worker: Host = { ...host(4), role: 'worker', group: 'workers' };
    const checks = await masterControlPlaneChecks('checks', [host(1), host(2), noEip, worker], {
      stateRoot: root,
      apiPort: port,
    });
    expect(paths).toEqual(['/readyz?verbose']);
    expect(checks).toEqual([
      {
        host: 'master-1 (i-1)',
        server: `https://127.0.28.1:${port}`,
        answered: true,
        ready: false,
        store: lost,
      },
      expect.objectContaining({
        host: 'master-2 (i-2)',
        answered: false,
        ready: false,
        error: expect.stringMatching(/ECONNREFUSED/),
      }),
    ]);
  });

  it('asks a master without an Elastic IP at its public address, or its private one with ssh.address private', async () => {
    mkdirSync(join(root, 'checks', 'pki'), { recursive: true });
    writeFileSync(join(root, 'checks', 'pki', 'ca.crt'), ca.certPem);
    const publicOnly: Host = {
      ...host(5),
      eip: undefined,
      publicIp: '127.0.28.1',
      privateIp: '10.0.5.5',
    } as Host;
    const privateOnly: Host = { ...host(6), eip: undefined, privateIp: '127.0.28.1' } as Host;
    const byPublic = await masterControlPlaneChecks('checks', [publicOnly, privateOnly], {
      stateRoot: root,
      apiPort: port,
    });
    expect(byPublic).toEqual([
      {
        host: 'master-5 (i-5)',
        server: `https://127.0.28.1:${port}`,
        answered: true,
        ready: false,
        store: lost,
      },
    ]);
    const byPrivate = await masterControlPlaneChecks('checks', [privateOnly], {
      stateRoot: root,
      apiPort: port,
      address: 'private',
    });
    expect(byPrivate).toEqual([
      {
        host: 'master-6 (i-6)',
        server: `https://127.0.28.1:${port}`,
        answered: true,
        ready: false,
        store: lost,
      },
    ]);
  });
});
