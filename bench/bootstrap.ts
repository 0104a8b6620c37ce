// Bootstrap benchmark: PKI operations, SSH round trips, and installing the control plane on 1 and
// on N other hosts (each a real sshd on loopback with its own host key and its own layout root), in
// parallel with runOnHosts (concurrency 10), until each answers /readyz over TLS. Then the same
// again (idempotent: nothing uploaded), then uninstall.
// Usage: npx tsx bench/bootstrap.ts [hosts=10]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CONTROL_PLANE_SERVICE,
  type HostBundle,
  installControlPlane,
} from '../src/bootstrap/control-plane-install.js';
import { buildHostLayout } from '../src/bootstrap/layout.js';
import { runOnHosts } from '../src/bootstrap/run-hosts.js';
import { uninstallHost } from '../src/bootstrap/uninstall.js';
import { waitForHealthy } from '../src/bootstrap/wait-healthy.js';
import { createCa, issueAdminCertificate, loadOrCreateClusterPki } from '../src/pki/index.js';
import { connectSsh } from '../src/ssh/connect.js';
import type { SshShell } from '../src/ssh/ssh-shell.js';
import { freePort } from '../test/harness/process.js';
import { type Sshd, startSshd } from '../test/harness/sshd.js';

const hostsWanted = Number(process.argv[2] ?? 10);
const dir = mkdtempSync(join(tmpdir(), `tugboat-bench-bootstrap-${process.pid}-`));
const ms = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e6;
const p50 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function timeEach(n: number, fn: () => void): number {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = process.hrtime.bigint();
    fn();
    times.push(ms(t0));
  }
  return p50(times);
}

interface BenchHost {
  readonly name: string;
  readonly sshd: Sshd;
  shell: SshShell;
  readonly port: number;
}

const hosts: BenchHost[] = [];

/** Uninstalls and stops everything the run started, also after a failure. */
async function cleanup(): Promise<void> {
  for (const h of hosts) {
    await uninstallHost(h.shell, {
      layout: buildHostLayout({ root: join(dir, 'hosts', h.name) }),
      services: [CONTROL_PLANE_SERVICE],
    }).catch(() => undefined);
    await h.shell.close().catch(() => undefined);
    await h.sshd.stop();
  }
  rmSync(dir, { recursive: true, force: true });
}

async function main(): Promise<void> {
  const rows: string[] = [];
  const ca = createCa({ cluster: 'bench' });
  rows.push(
    `| create CA (P-256) | ${timeEach(50, () => createCa({ cluster: 'bench' })).toFixed(2)} ms p50 |`,
  );
  rows.push(
    `| issue client certificate | ${timeEach(200, () => issueAdminCertificate(ca)).toFixed(2)} ms p50 |`,
  );

  const manifest = JSON.parse(
    execFileSync(process.execPath, ['scripts/bundle.mjs', '--outdir', join(dir, 'bundles')], {
      encoding: 'utf8',
    }),
  );
  const bundle: HostBundle = {
    file: manifest.file,
    content: readFileSync(join(dir, 'bundles', manifest.file)),
  };
  rows.push(
    `| bundle build (esbuild, minified) | ${manifest.ms} ms, ${(manifest.bytes / 1024).toFixed(0)} KiB |`,
  );
  const pki = loadOrCreateClusterPki({ cluster: 'bench', dir: join(dir, 'pki'), apiAltNames: ['127.0.0.1'] });

  const connect = (sshd: Sshd) =>
    connectSsh({
      host: sshd.host,
      port: sshd.port,
      username: sshd.username,
      privateKeyPath: sshd.clientKey.privateKeyPath,
      hostKeys: { knownHostsPath: join(dir, 'known_hosts'), trustNewHosts: true },
    });
  for (let i = 0; i < hostsWanted + 1; i++) {
    const sshd = await startSshd();
    hosts.push({ name: `h${i}`, sshd, shell: await connect(sshd), port: await freePort() });
  }
  const first = hosts[0]!;
  const connects: number[] = [];
  for (let i = 0; i < 10; i++) {
    const t0 = process.hrtime.bigint();
    const s = await connect(first.sshd);
    connects.push(ms(t0));
    await s.close();
  }
  rows.push(`| SSH connect + auth + host key check | ${p50(connects).toFixed(1)} ms p50 |`);
  const execs: number[] = [];
  for (let i = 0; i < 50; i++) {
    const t0 = process.hrtime.bigint();
    await first.shell.exec('true');
    execs.push(ms(t0));
  }
  rows.push(`| exec round trip (\`true\`) | ${p50(execs).toFixed(1)} ms p50 |`);
  const t0 = process.hrtime.bigint();
  await first.shell.upload(bundle.content, join(dir, 'upload-probe'), 0o644);
  const uploadMs = ms(t0);
  rows.push(
    `| SFTP upload of the bundle | ${uploadMs.toFixed(0)} ms (${(bundle.content.length / 1048576 / (uploadMs / 1000)).toFixed(1)} MiB/s) |`,
  );

  const install = (h: BenchHost) =>
    installControlPlane(h.shell, {
      layout: buildHostLayout({ root: join(dir, 'hosts', h.name) }),
      bundle,
      pki,
      nodePath: process.execPath,
      listen: `127.0.0.1:${h.port}`,
    }).then(async (r) => {
      await waitForHealthy(`https://127.0.0.1:${h.port}/readyz`, { caPem: pki.ca.certPem, intervalMs: 100 });
      return r;
    });
  const runRound = async (subset: BenchHost[], label: string) => {
    const t = process.hrtime.bigint();
    const out = await runOnHosts(subset, install, { concurrency: 10 });
    const wall = ms(t);
    const failed = out.filter((o) => !o.ok);
    if (failed.length) throw new Error(failed.map((f) => (f.ok ? '' : f.error.message)).join('\n'));
    const bytes = out.map((o) => (o.ok ? o.value.bytesUploaded : 0));
    rows.push(
      `| ${label} | ${(wall / 1000).toFixed(2)} s wall, ${(Math.max(...bytes) / 1024).toFixed(0)} KiB uploaded per host |`,
    );
    return wall;
  };
  const one = await runRound([first], 'control plane, 1 host, first install → /readyz');
  await runRound([first], 'control plane, 1 host, second run (idempotent)');
  let many = one;
  if (hosts.length > 1) {
    many = await runRound(
      hosts.slice(1),
      `control plane, ${hosts.length - 1} hosts in parallel, first install → /readyz`,
    );
    await runRound(hosts.slice(1), `control plane, ${hosts.length - 1} hosts, second run (idempotent)`);
  }
  console.log(`node ${process.version}, ${hostsWanted + 1} sshd hosts on loopback, 2 shared cores`);
  console.log('| what | result |\n| --- | --- |');
  for (const r of rows) console.log(r);
  if (hosts.length > 1)
    console.log(`\nratio ${hosts.length - 1} hosts / 1 host: ${(many / one).toFixed(2)}×`);
}

main()
  .catch((err) => {
    console.error(err);
    process.exitCode = 1;
  })
  .finally(cleanup);
