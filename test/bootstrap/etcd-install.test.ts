import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildControlPlaneFiles,
  buildControlPlaneService,
} from '../../src/bootstrap/control-plane-install.js';
import {
  buildEtcdService,
  ETCD_SERVICE,
  type EtcdMember,
  etcdClientUrls,
  etcdPaths,
  installEtcd,
} from '../../src/bootstrap/etcd-install.js';
import { buildHostLayout, type HostLayout } from '../../src/bootstrap/layout.js';
import { stopService } from '../../src/bootstrap/service.js';
import { uninstallHost } from '../../src/bootstrap/uninstall.js';
import { type RunningControlPlane, startControlPlane } from '../../src/control-plane/main.js';
import { createCa, issueEtcdClientCertificate, issueEtcdMemberCertificate } from '../../src/pki/index.js';
import { LocalShell } from '../../src/ssh/local-shell.js';

const run = promisify(execFile);

// Three masters on loopback addresses of their own (127.0.25.x: this helper's range), each with
// its own host layout, started by the same code SSH bootstrap runs (supervised: no systemd here).
const root = mkdtempSync(join(tmpdir(), `tugboat-etcd-ha-${process.pid}-`));
const shell = new LocalShell({ host: 'etcd-ha' });
const ca = createCa({ cluster: 'ha25' });
const members: EtcdMember[] = [1, 2, 3].map((n) => ({ name: `master-${n}`, address: `127.0.25.${n}` }));
const layouts: HostLayout[] = members.map((m) => buildHostLayout({ root: join(root, m.name) }));
const client = issueEtcdClientCertificate(ca);
const clientFiles = {
  ca: join(root, 'ca.crt'),
  cert: join(root, 'etcd-client.crt'),
  key: join(root, 'etcd-client.key'),
};
writeFileSync(clientFiles.ca, ca.certPem);
writeFileSync(clientFiles.cert, client.certPem);
writeFileSync(clientFiles.key, client.keyPem, { mode: 0o600 });
const endpoints = etcdClientUrls(members);

const installOptions = (i: number) => ({
  layout: layouts[i]!,
  mode: 'supervised' as const,
  member: members[i]!,
  members,
  pki: { caPem: ca.certPem, memberCert: issueEtcdMemberCertificate(ca, { altNames: [members[i]!.address] }) },
  clusterToken: 'tugboat-ha25-test',
});

/** etcdctl over TLS with the API servers' client certificate. */
async function etcdctl(args: string[], endpoint = endpoints.join(',')): Promise<string> {
  const { stdout } = await run(
    'etcdctl',
    [
      `--endpoints=${endpoint}`,
      `--cacert=${clientFiles.ca}`,
      `--cert=${clientFiles.cert}`,
      `--key=${clientFiles.key}`,
      ...args,
    ],
    { env: { ...process.env, ETCDCTL_API: '3' }, timeout: 20_000 },
  );
  return stdout;
}

async function waitHealthy(): Promise<string> {
  let last = '';
  for (let i = 0; i < 60; i++) {
    try {
      return await etcdctl(['endpoint', 'health', '-w', 'json']);
    } catch (err) {
      last = String((err as { stderr?: string }).stderr ?? err);
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  throw new Error(`etcd not healthy after 30 s: ${last}`);
}

const controlPlanes: RunningControlPlane[] = [];
afterAll(async () => {
  for (const cp of controlPlanes) await cp.stop().catch(() => undefined);
  for (const layout of layouts)
    await stopService(shell, ETCD_SERVICE, { layout, mode: 'supervised' }).catch(() => undefined);
  rmSync(root, { recursive: true, force: true });
});

describe('etcd on three masters (supervised, loopback addresses)', () => {
  beforeAll(async () => {
    for (let i = 0; i < 3; i++) await installEtcd(shell, installOptions(i));
    await waitHealthy();
  }, 60_000);

  it('forms one cluster of three healthy members over TLS', async () => {
    const health = JSON.parse(await etcdctl(['endpoint', 'health', '-w', 'json'])) as { health: boolean }[];
    expect(health).toHaveLength(3);
    expect(health.every((h) => h.health)).toBe(true);
    const list = JSON.parse(await etcdctl(['member', 'list', '-w', 'json'])) as {
      members: { name: string; peerURLs: string[] }[];
    };
    expect(list.members.map((m) => m.name).sort()).toEqual(['master-1', 'master-2', 'master-3']);
    expect(list.members.flatMap((m) => m.peerURLs).sort()).toEqual(
      members.map((m) => `https://${m.address}:2380`),
    );
  });

  it('refuses a client without a certificate of the cluster CA', async () => {
    await expect(
      run(
        'etcdctl',
        [`--endpoints=${endpoints[0]}`, `--cacert=${clientFiles.ca}`, '--dial-timeout=2s', 'get', 'x'],
        {
          env: { ...process.env, ETCDCTL_API: '3' },
          timeout: 20_000,
        },
      ),
    ).rejects.toThrow();
  });

  it('serves the API from a control plane on each master: a write through one is read through another', async () => {
    for (let i = 0; i < 3; i++) {
      controlPlanes.push(
        await startControlPlane({
          listen: '127.0.0.1:0',
          insecureLoopbackHttp: true,
          store: 'etcd',
          // Each API server lists every member, its own first, as bootstrap writes it.
          etcdEndpoints: [endpoints[i]!, ...endpoints.filter((_, j) => j !== i)],
          etcdCaFile: clientFiles.ca,
          etcdCertFile: clientFiles.cert,
          etcdKeyFile: clientFiles.key,
        }),
      );
    }
    const body = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'ha' }, data: { via: 'master-1' } };
    const created = await fetch(`${controlPlanes[0]!.url}/api/v1/namespaces/default/configmaps`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(created.status).toBe(201);
    for (const cp of controlPlanes.slice(1)) {
      const got = await fetch(`${cp.url}/api/v1/namespaces/default/configmaps/ha`);
      expect(got.status).toBe(200);
      expect(((await got.json()) as { data: Record<string, string> }).data).toEqual({ via: 'master-1' });
    }
  }, 60_000);

  it('uninstall removes the unit, data and certificates of a member', async () => {
    const paths = etcdPaths(layouts[2]!);
    expect(existsSync(paths.key)).toBe(true);
    expect(existsSync(join(paths.dataDir, 'member'))).toBe(true);
    await uninstallHost(shell, {
      layout: layouts[2]!,
      services: [ETCD_SERVICE],
      mode: 'supervised',
      serviceRules: false,
      podNetwork: false,
    });
    for (const path of [paths.ca, paths.cert, paths.key, paths.dataDir, layouts[2]!.etc, layouts[2]!.lib])
      expect(existsSync(path), path).toBe(false);
    // The other two keep a quorum: the cluster still answers (one member reported down).
    await expect(etcdctl(['put', 'after', 'uninstall'], endpoints.slice(0, 2).join(','))).resolves.toContain(
      'OK',
    );
  }, 180_000);
});

describe('buildEtcdService', () => {
  it('names every member in --initial-cluster and passes certificates as paths only', () => {
    const spec = buildEtcdService(installOptions(0));
    const flag = (name: string) => spec.command[spec.command.indexOf(name) + 1];
    expect(flag('--initial-cluster')).toBe(
      'master-1=https://127.0.25.1:2380,master-2=https://127.0.25.2:2380,master-3=https://127.0.25.3:2380',
    );
    expect(flag('--listen-client-urls')).toBe('https://127.0.25.1:2379');
    expect(flag('--peer-cert-allowed-cn')).toBe('tugboat-etcd-peer');
    expect(spec.command).toContain('--client-cert-auth');
    expect(spec.command).toContain('--peer-client-cert-auth');
    expect(spec.command.join(' ')).not.toContain('PRIVATE KEY');
  });

  it('refuses a member missing from the member list', () => {
    expect(() =>
      buildEtcdService({ ...installOptions(0), member: { name: 'stray', address: '127.0.25.9' } }),
    ).toThrow('etcd member stray is not in the member list');
  });

  it('starts the control plane on etcd with every member and the client certificate as files', () => {
    const leaf = { certPem: 'CERT', keyPem: 'KEY' };
    const options = {
      layout: layouts[0]!,
      bundle: { file: 'tugboat-host-x.mjs', content: Buffer.from('') },
      pki: { ca: { certPem: 'CA' }, apiServer: leaf, apiServerClient: leaf, serviceAccountKey: 'SA' },
      nodePath: '/usr/bin/node',
      etcd: { endpoints, clientCert: { certPem: 'ETCD-CERT', keyPem: 'ETCD-KEY' } },
    } as unknown as Parameters<typeof buildControlPlaneService>[0];
    const command = buildControlPlaneService(options).command;
    const flag = (name: string) => command[command.indexOf(name) + 1];
    expect(flag('--store')).toBe('etcd');
    expect(flag('--etcd-endpoints')).toBe(
      'https://127.0.25.1:2379,https://127.0.25.2:2379,https://127.0.25.3:2379',
    );
    const files = buildControlPlaneFiles(options);
    const byPath = new Map(files.map((f) => [f.path, f]));
    expect(byPath.get(flag('--etcd-certfile')!)?.content).toBe('ETCD-CERT');
    expect(byPath.get(flag('--etcd-keyfile')!)).toMatchObject({ content: 'ETCD-KEY', mode: 0o600 });
    expect(byPath.get(flag('--etcd-cafile')!)?.content).toBe('CA');
    // Without etcd: the embedded store, as before.
    const embedded = buildControlPlaneService({ ...options, etcd: undefined });
    expect(embedded.command).not.toContain('--store');
  });
});
