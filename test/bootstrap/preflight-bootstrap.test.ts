import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AGENT_SERVICE } from '../../src/bootstrap/agent-install.js';
import { type BootstrapHost, parseBootstrapHosts } from '../../src/bootstrap/bootstrap-hosts.js';
import { bootstrapInventory, uninstallInventory } from '../../src/bootstrap/bootstrap-inventory.js';
import type { HostBundle } from '../../src/bootstrap/control-plane-install.js';
import { buildHostLayout } from '../../src/bootstrap/layout.js';
import { servicePaths } from '../../src/bootstrap/service-units.js';
import { RemoteCommandError } from '../../src/errors.js';
import { RecordingEvents } from '../../src/events.js';
import { freePort } from '../harness/process.js';
import { generateSshKey, type Sshd, type SshKeyPair, startSshd } from '../harness/sshd.js';
import { runCli } from '../support/cli.js';
import { createPackageFixture, type PackageFixture } from './package-fixture.js';

// The install step inside the real per-host plan: a master with node, and two workers without it
// whose PATH the test controls, with a STAND-IN apt-get (package-fixture.ts; nothing is installed
// on this machine). w1's stand-in "installs" node; w2's fails like a missing package.
let dir: string;
let clientKey: SshKeyPair;
let bundle: HostBundle;
let bundlePath: string;
let apiPort: number;
let inventoryText: string;
const sshds: Sshd[] = [];
const fixtures = new Map<string, PackageFixture>();
const agentPorts = new Map<string, number>();
const layoutFor = (h: BootstrapHost) => buildHostLayout({ root: join(dir, 'hosts', h.name) });
const options = (events: RecordingEvents) => ({
  inventory: parseBootstrapHosts(inventoryText),
  stateDir: join(dir, 'state'),
  trustNewHosts: true,
  layoutFor,
  bundle,
  apiPort,
  apiListen: `127.0.0.1:${apiPort}`,
  agentListen: (h: BootstrapHost) => `${h.address}:${agentPorts.get(h.name)}`,
  readyTimeoutMs: 120_000,
  connectAttempts: 2,
  // These hosts share the runner's network namespace: their agents must not edit its firewall.
  agentServiceProxy: false,
  // What this file tests: the host's own node, installed with its package manager.
  nodeRuntime: 'host' as const,
  events,
});

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), `tugboat-pf-boot-${process.pid}-`));
  clientKey = generateSshKey(join(dir, 'keys'), 'id_ed25519');
  const manifest = JSON.parse(
    execFileSync(process.execPath, ['scripts/bundle.mjs', '--outdir', join(dir, 'bundles')], {
      encoding: 'utf8',
    }),
  );
  bundlePath = join(dir, 'bundles', manifest.file);
  bundle = { file: manifest.file, content: readFileSync(bundlePath) };
  const lines: string[] = [];
  for (const [name, address, role] of [
    ['m1', '127.0.0.1', 'master'],
    ['w1', '127.0.0.2', 'worker'],
    ['w2', '127.0.0.3', 'worker'],
  ] as const) {
    const fixture = role === 'worker' ? createPackageFixture(join(dir, 'fixtures', name)) : undefined;
    if (fixture) fixtures.set(name, fixture);
    const sshd = await startSshd({
      listenAddress: address,
      clientKey,
      extraConfig: fixture ? [fixture.sshdSetEnv] : [],
    });
    sshds.push(sshd);
    agentPorts.set(name, await freePort(address));
    lines.push(`  - { name: ${name}, address: ${address}, port: ${sshd.port}, role: ${role} }`);
  }
  apiPort = await freePort();
  inventoryText = [
    'cluster: pfboot',
    `ssh: { user: ${sshds[0]!.username}, privateKeyFile: ${clientKey.privateKeyPath} }`,
    'runtime: process',
    'hosts:',
    ...lines,
  ].join('\n');
  fixtures.get('w1')!.reset({ managers: ['apt-get'] });
  fixtures.get('w2')!.reset({ managers: ['apt-get'] });
  fixtures.get('w2')!.setInstallMode('fail');
});

afterAll(async () => {
  // Bounded retries: a host whose uninstall failed would leave its agent running after the test.
  for (let attempt = 0; inventoryText && attempt < 3; attempt++) {
    const outcomes = await uninstallInventory(options(new RecordingEvents())).catch(() => []);
    if (outcomes.length > 0 && outcomes.every((o) => o.ok)) break;
  }
  for (const s of sshds) await s.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('bootstrap installs node where it is missing (stand-in apt-get on real sshd hosts)', () => {
  it('w1 gets node and joins; w2 reports host, step, exit code and stderr tail; m1 and w1 finish', async () => {
    const events = new RecordingEvents();
    const result = await bootstrapInventory(options(events));
    const [m1, w1, w2] = result.hosts;
    expect(m1?.ok, m1?.ok ? '' : m1?.error.message).toBe(true);
    expect(w1?.ok, w1?.ok ? '' : w1?.error.message).toBe(true);
    expect(fixtures.get('w1')!.calls()).toEqual([
      'apt-get update DEBIAN_FRONTEND=',
      'apt-get install -y nodejs DEBIAN_FRONTEND=noninteractive',
    ]);
    // The agent runs the node the install put on PATH.
    const supervisor = readFileSync(
      servicePaths(layoutFor({ name: 'w1' } as BootstrapHost), AGENT_SERVICE).supervisor,
      'utf8',
    );
    expect(supervisor).toContain(join(fixtures.get('w1')!.bin, 'node'));
    // Workers run in parallel: their events interleave in any order.
    const installs = events.events
      .filter((e) => e.code === 'bootstrap.install')
      .map((e) => e.data as { host: string })
      .sort((a, b) => a.host.localeCompare(b.host));
    expect(installs).toEqual([
      { host: 'w1', package: 'nodejs', manager: 'apt-get' },
      { host: 'w2', package: 'nodejs', manager: 'apt-get' },
    ]);

    expect(w2?.ok).toBe(false);
    const err = !w2?.ok ? w2?.error : undefined;
    expect(err).toBeInstanceOf(RemoteCommandError);
    const e = err as RemoteCommandError;
    expect([e.host, e.step, e.remoteExitCode]).toEqual(['w2', 'install nodejs (apt-get)', 100]);
    expect(e.message).toMatch(/^w2: install nodejs \(apt-get\) failed \(exit 100\)\n/);
    expect(e.message).toContain('E: Unable to locate package nodejs');
    const fail = events.events.find((ev) => ev.code === 'host.fail');
    expect(fail?.data).toMatchObject({ host: 'w2' });
    expect(fail?.message).toContain('install nodejs (apt-get) failed (exit 100)');
  });

  it('once the package is available, a re-run installs on w2 only and every host is ok', async () => {
    fixtures.get('w1')!.clearCalls();
    fixtures.get('w2')!.setInstallMode('ok');
    fixtures.get('w2')!.clearCalls();
    const result = await bootstrapInventory(options(new RecordingEvents()));
    expect(result.hosts.map((h) => [h.host, h.ok ? 'ok' : h.error.message])).toEqual([
      ['m1', 'ok'],
      ['w1', 'ok'],
      ['w2', 'ok'],
    ]);
    expect(fixtures.get('w1')!.calls()).toEqual([]);
    expect(fixtures.get('w2')!.calls()).toEqual([
      'apt-get update DEBIAN_FRONTEND=',
      'apt-get install -y nodejs DEBIAN_FRONTEND=noninteractive',
    ]);
  });

  it('the CLI reports a failed install with step and exit code in --output json, and exits 4', async () => {
    // A one-host cluster whose master lacks node and whose stand-in apt-get fails: preflight stops
    // the host before anything is written to the real /opt/tugboat the CLI would use.
    const w2 = fixtures.get('w2')!;
    w2.reset({ managers: ['apt-get'] });
    w2.setInstallMode('fail');
    const sshd = sshds[2]!;
    const inventory = join(dir, 'cli-hosts.yaml');
    writeFileSync(
      inventory,
      [
        'cluster: pfcli',
        `ssh: { user: ${sshd.username}, privateKeyFile: ${clientKey.privateKeyPath} }`,
        'runtime: process',
        // The host's own node, so preflight installs it (and fails) before anything is written.
        'nodeRuntime: host',
        'hosts:',
        `  - { name: solo, address: 127.0.0.3, port: ${sshd.port}, role: master, hostKey: "${sshd.hostKey.publicKey}" }`,
      ].join('\n'),
    );
    const r = await runCli(
      ['--output', 'json', 'bootstrap', '--inventory', inventory, '--bundle', bundlePath],
      {
        cwd: dir,
        env: {
          ...process.env,
          TUGBOAT_STATE_DIR: join(dir, 'cli-state'),
          KUBECONFIG: join(dir, 'kubeconfig'),
        },
      },
    );
    expect(r.code).toBe(4);
    expect(JSON.parse(r.stdout).hosts).toEqual([
      {
        host: 'solo',
        ok: false,
        action: 'failed',
        error: expect.stringContaining('E: Unable to locate package nodejs'),
        step: 'install nodejs (apt-get)',
        exitCode: 100,
        ms: expect.any(Number),
      },
    ]);
    expect(r.stderr).toContain('info: solo: installing nodejs with apt-get');
  });
});
