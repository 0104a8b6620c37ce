// Bootstrap benchmark: the real `bootstrapInventory` (what `tugboat bootstrap --inventory` and
// `tugboat create` run) on a master plus 1 worker, then on a master plus N workers, each host a
// real sshd on loopback with its own host key and layout root, agents on the process runtime.
// Each round starts from clean hosts and ends when every Node is Ready; then the same again
// (idempotent: nothing uploaded), then uninstall. Per-host step timings come from the `host.step`
// and `host.files` events. Also: PKI and SSH micro-timings.
// Usage: npx tsx bench/bootstrap.ts [workers=10]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BootstrapHost, parseBootstrapHosts } from '../src/bootstrap/bootstrap-hosts.js';
import { bootstrapInventory, uninstallInventory } from '../src/bootstrap/bootstrap-inventory.js';
import type { HostBundle } from '../src/bootstrap/control-plane-install.js';
import { buildHostLayout } from '../src/bootstrap/layout.js';
import type { EventSink, TugboatEvent } from '../src/events.js';
import { createCa, issueAdminCertificate } from '../src/pki/index.js';
import { connectSsh } from '../src/ssh/connect.js';
import { freePort } from '../test/harness/process.js';
import { generateSshKey, type Sshd, type SshKeyPair, startSshd } from '../test/harness/sshd.js';

const workersWanted = Number(process.argv[2] ?? 10);
const dir = mkdtempSync(join(tmpdir(), `tugboat-bench-bootstrap-${process.pid}-`));
const ms = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e6;
const p50 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
const s = (x: number) => `${(x / 1000).toFixed(2)} s`;
const sshds: Sshd[] = [];
let clientKey: SshKeyPair;
const cleanups: (() => Promise<unknown>)[] = [];

function timeEach(n: number, fn: () => void): number {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = process.hrtime.bigint();
    fn();
    times.push(ms(t0));
  }
  return p50(times);
}

/** Records every event with the time it arrived (ms since the round started). */
class TimedEvents implements EventSink {
  readonly seen: { at: number; event: TugboatEvent }[] = [];
  private readonly t0 = Date.now();
  emit(event: TugboatEvent): void {
    this.seen.push({ at: Date.now() - this.t0, event });
  }
  /** host → step → ms, from `host.step`; `upload` is the file sync inside `install`. */
  steps(): Map<string, Map<string, number>> {
    const out = new Map<string, Map<string, number>>();
    const hostFilesAt = new Map<string, number>();
    const installStarts = new Map<string, number>();
    for (const { at, event } of this.seen) {
      const d = event.data as { host?: string; step?: string; ms?: number } | undefined;
      if (!d?.host) continue;
      const m = out.get(d.host) ?? new Map<string, number>();
      out.set(d.host, m);
      if (event.code === 'host.step' && d.step && d.ms !== undefined) {
        m.set(d.step, d.ms);
        if (d.step === 'preflight') installStarts.set(d.host, at);
      }
      if (event.code === 'host.start') m.set('startedAt', at);
      if (event.code === 'host.done') m.set('doneAt', at);
      if (event.code === 'host.files') hostFilesAt.set(d.host, at);
    }
    // The master uploads inside `install`; its upload time is from preflight's end to host.files.
    for (const [host, at] of hostFilesAt) {
      const from = installStarts.get(host);
      const m = out.get(host);
      if (from !== undefined && m && !m.has('upload')) m.set('upload', at - from);
    }
    return out;
  }
}

interface RoundResult {
  readonly wallMs: number;
  readonly bytesPerHost: number[];
  readonly steps: Map<string, Map<string, number>>;
}

async function round(label: string, hosts: number, bundle: HostBundle, rows: string[]) {
  const root = join(dir, label);
  const entries: string[] = [];
  const agentPorts = new Map<string, number>();
  for (let i = 0; i <= hosts; i++) {
    const sshd = sshds[i];
    if (!sshd) throw new Error(`no sshd ${i}`);
    const name = i === 0 ? 'm0' : `w${i}`;
    if (i > 0) agentPorts.set(name, await freePort());
    entries.push(
      `  - { name: ${name}, address: ${sshd.host}, port: ${sshd.port}, role: ${i === 0 ? 'master' : 'worker'} }`,
    );
  }
  const inventory = parseBootstrapHosts(
    [
      `cluster: bench${hosts}`,
      `ssh: { user: ${sshds[0]?.username}, privateKeyFile: ${clientKey.privateKeyPath} }`,
      'runtime: process',
      'hosts:',
      ...entries,
    ].join('\n'),
  );
  const apiPort = await freePort();
  const base = {
    inventory,
    stateDir: join(root, 'state'),
    trustNewHosts: true,
    layoutFor: (h: BootstrapHost) => buildHostLayout({ root: join(root, 'hosts', h.name) }),
    connectAttempts: 2,
  };
  const options = {
    ...base,
    bundle,
    apiPort,
    apiListen: `127.0.0.1:${apiPort}`,
    agentListen: (h: BootstrapHost) => `127.0.0.1:${agentPorts.get(h.name)}`,
  };
  cleanups.push(() => uninstallInventory(base));
  const run = async (what: string): Promise<RoundResult> => {
    const events = new TimedEvents();
    const t0 = process.hrtime.bigint();
    const result = await bootstrapInventory({ ...options, events });
    const wallMs = ms(t0);
    const failed = result.hosts.filter((h) => !h.ok);
    if (failed.length) throw new Error(failed.map((f) => (f.ok ? '' : f.error.message)).join('\n'));
    const bytesPerHost = result.hosts.map((h) => (h.ok ? h.value.bytesUploaded : 0));
    rows.push(
      `| master + ${hosts} worker${hosts > 1 ? 's' : ''}, ${what} | ${s(wallMs)} wall, ${(Math.max(...bytesPerHost) / 1024).toFixed(0)} KiB uploaded per host |`,
    );
    return { wallMs, bytesPerHost, steps: events.steps() };
  };
  const first = await run('first bootstrap → all Ready');
  await run('second run (idempotent)');
  await uninstallInventory(base);
  cleanups.pop();
  return first;
}

/** One line per step: the master's time, and the workers' median and maximum. */
function profile(label: string, r: RoundResult): string[] {
  const stepNames = ['connect', 'preflight', 'upload', 'wait-master', 'install', 'healthy', 'ready'];
  const master = r.steps.get('m0') ?? new Map<string, number>();
  const workers = [...r.steps].filter(([h]) => h !== 'm0').map(([, m]) => m);
  const lines = [
    `\n${label}: per-host steps (ms; the master's upload is part of its install)`,
    '| step | master | workers p50 | workers max |',
    '| --- | --- | --- | --- |',
  ];
  for (const step of stepNames) {
    const ws = workers.map((m) => m.get(step)).filter((x): x is number => x !== undefined);
    lines.push(
      `| ${step} | ${master.get(step) ?? '–'} | ${ws.length ? p50(ws) : '–'} | ${ws.length ? Math.max(...ws) : '–'} |`,
    );
  }
  const masterDone = master.get('doneAt') ?? 0;
  const firstWorker = Math.min(...workers.map((m) => m.get('startedAt') ?? Number.POSITIVE_INFINITY));
  const lastDone = Math.max(...workers.map((m) => m.get('doneAt') ?? 0));
  lines.push(
    `master done at ${s(masterDone)}; first worker started at ${s(firstWorker)}; last worker done at ${s(lastDone)}`,
  );
  return lines;
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

  clientKey = generateSshKey(join(dir, 'keys'), 'id_ed25519');
  for (let i = 0; i <= workersWanted; i++) sshds.push(await startSshd({ clientKey }));
  const first = sshds[0];
  if (!first) throw new Error('no sshd');
  const connect = () =>
    connectSsh({
      host: first.host,
      port: first.port,
      username: first.username,
      privateKeyPath: clientKey.privateKeyPath,
      hostKeys: { knownHostsPath: join(dir, 'known_hosts'), trustNewHosts: true },
    });
  const connects: number[] = [];
  for (let i = 0; i < 10; i++) {
    const t0 = process.hrtime.bigint();
    await (await connect()).close();
    connects.push(ms(t0));
  }
  rows.push(`| SSH connect + auth + host key check | ${p50(connects).toFixed(1)} ms p50 |`);
  const shell = await connect();
  const execs: number[] = [];
  for (let i = 0; i < 30; i++) {
    const t0 = process.hrtime.bigint();
    await shell.exec('true');
    execs.push(ms(t0));
  }
  rows.push(`| exec round trip (\`true\`) | ${p50(execs).toFixed(1)} ms p50 |`);
  const t0 = process.hrtime.bigint();
  await shell.upload(bundle.content, join(dir, 'upload-probe'), 0o644);
  const uploadMs = ms(t0);
  rows.push(
    `| SFTP upload of the bundle | ${uploadMs.toFixed(0)} ms (${(bundle.content.length / 1048576 / (uploadMs / 1000)).toFixed(1)} MiB/s) |`,
  );
  await shell.close();

  const load = loadavg()[0]?.toFixed(1);
  const one = await round('one', 1, bundle, rows);
  const many = await round('many', workersWanted, bundle, rows);
  console.log(
    `node ${process.version}, ${workersWanted + 1} sshd hosts on loopback, ${cpus().length} cores, load average at start ${load}`,
  );
  console.log('| what | result |\n| --- | --- |');
  for (const r of rows) console.log(r);
  for (const line of profile('master + 1 worker', one)) console.log(line);
  for (const line of profile(`master + ${workersWanted} workers`, many)) console.log(line);
  console.log(`\nratio ${workersWanted} workers / 1 worker: ${(many.wallMs / one.wallMs).toFixed(2)}×`);
}

main()
  .catch((err) => {
    console.error(err);
    process.exitCode = 1;
  })
  .finally(async () => {
    for (const c of cleanups) await c().catch(() => undefined);
    for (const sshd of sshds) await sshd.stop();
    rmSync(dir, { recursive: true, force: true });
  });
