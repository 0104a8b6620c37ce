import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { etcdClusterHealth } from '../../src/bootstrap/etcd-health.js';
import { etcdPaths } from '../../src/bootstrap/etcd-install.js';
import { buildHostLayout } from '../../src/bootstrap/layout.js';
import { createCa, issueEtcdMemberCertificate } from '../../src/pki/index.js';
import type { SshShell } from '../../src/ssh/ssh-shell.js';
import { type EtcdCluster, startEtcd } from '../harness/etcd.js';
import { connectTestClient, type Sshd, startSshd } from '../harness/sshd.js';
import { waitFor } from '../support/wait.js';

// etcdClusterHealth as bootstrap and the upgrade run it: over SSH (the request travels on stdin),
// Node.js on the host, the member certificate from the host's etcd paths, a real 3-member etcd
// that requires client certificates.
describe('etcdClusterHealth over SSH against etcd with TLS', () => {
  const ca = createCa({ cluster: 'etcd-health' });
  let etcd: EtcdCluster;
  let sshd: Sshd;
  let shell: SshShell;
  const root = mkdtempSync(join(tmpdir(), `tugboat-etcd-health-ssh-${process.pid}-`));
  const layout = buildHostLayout({ root: join(root, 'host') });
  let options: () => Parameters<typeof etcdClusterHealth>[1];

  beforeAll(async () => {
    // The members' certificate as bootstrap issues it: server and client usage. etcd 3.4's JSON
    // gateway dials its own gRPC port with the serving certificate, so without client usage every
    // /v3/... call answers 503 "connection closed" (only /health works).
    const member = issueEtcdMemberCertificate(ca, { altNames: ['127.0.0.1'] });
    etcd = await startEtcd({
      size: 3,
      tls: {
        ca: ca.certPem,
        serverCert: member.certPem,
        serverKey: member.keyPem,
        clientCert: member.certPem,
        clientKey: member.keyPem,
      },
    });
    const p = etcdPaths(layout);
    for (const [path, content] of [
      [p.ca, ca.certPem],
      [p.cert, member.certPem],
      [p.key, member.keyPem],
    ] as const) {
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, content, { mode: 0o600 });
    }
    sshd = await startSshd();
    shell = await connectTestClient(sshd, join(root, 'known_hosts'));
    // The harness's members share 127.0.0.1 on ports of their own: m0 is the one "master" given;
    // the other two are found through the member list.
    const port = Number(new URL(etcd.endpoints[0]!).port);
    options = () => ({
      members: [{ name: 'm0', address: '127.0.0.1' }],
      ports: { client: port },
      layout,
      nodePath: process.execPath,
    });
  }, 120_000);
  afterAll(async () => {
    await shell?.close();
    await sshd?.stop();
    await etcd?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it('every member healthy: the registered ones that are no master are probed too', async () => {
    // A cluster just formed: its members publish their client URLs within a moment.
    let h = await etcdClusterHealth(shell, options());
    await waitFor(
      async () => {
        h = await etcdClusterHealth(shell, options());
        return h.healthy;
      },
      'every member registered and healthy',
      30_000,
      500,
    );
    expect(h.summary).toBe('3/3 etcd members healthy');
    expect(h.members.map((m) => [m.name, m.expected, m.registered, m.healthy])).toEqual([
      ['m0', true, true, true],
      ['m1', false, true, true],
      ['m2', false, true, true],
    ]);
    expect(h.members.filter((m) => m.isLeader)).toHaveLength(1);
  }, 60_000);

  it('two members killed: quorum lost, both named down, the survivor reachable without a leader', async () => {
    await etcd.members[1]!.kill();
    await etcd.members[2]!.kill();
    let h = await etcdClusterHealth(shell, options());
    await waitFor(
      async () => {
        h = await etcdClusterHealth(shell, options());
        return !h.quorum;
      },
      'the survivor to lose its leader',
      30_000,
      500,
    );
    expect(h).toMatchObject({ quorum: false, healthy: false, healthyCount: 0 });
    expect(h.members.map((m) => [m.name, m.reachable])).toEqual([
      ['m0', true],
      ['m1', false],
      ['m2', false],
    ]);
    expect(h.summary).toBe('etcd has lost quorum: 0/3 members healthy, 2 needed to write; down: m0, m1, m2');
  }, 90_000);

  it('a host whose certificates are missing gets a clear error naming the host and the file', async () => {
    await expect(
      etcdClusterHealth(shell, { ...options(), layout: buildHostLayout({ root: join(root, 'nowhere') }) }),
    ).rejects.toThrow(/cannot ask etcd from .*: ENOENT.*check Node\.js/);
  }, 60_000);
});
