import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AGENT_SERVICE } from '../../src/bootstrap/agent-install.js';
import {
  type BootstrapHost,
  type BootstrapHosts,
  parseBootstrapHosts,
} from '../../src/bootstrap/bootstrap-hosts.js';
import { bootstrapInventory, uninstallInventory } from '../../src/bootstrap/bootstrap-inventory.js';
import { CONTROL_PLANE_SERVICE, type HostBundle } from '../../src/bootstrap/control-plane-install.js';
import { buildHostLayout, layoutDirectories } from '../../src/bootstrap/layout.js';
import { NODE_RUNTIME, runtimePaths } from '../../src/bootstrap/node-runtime.js';
import { serviceStatus, stopService } from '../../src/bootstrap/service.js';
import { servicePaths } from '../../src/bootstrap/service-units.js';
import { RecordingEvents } from '../../src/events.js';
import { writeKeyFile } from '../../src/pki/index.js';
import { HostKeyError, SshConnectError } from '../../src/ssh/errors.js';
import { LocalShell } from '../../src/ssh/local-shell.js';
import { freePort } from '../harness/process.js';
import { generateSshKey, type Sshd, type SshKeyPair, startSshd } from '../harness/sshd.js';
import { loadSetupRuntime } from '../support/node-runtime.js';
import { startInventoryHosts } from '../support/ssh-inventory.js';

// Three hosts on one machine: sshd on 127.0.0.1 (master), 127.0.0.2 and 127.0.0.3 (workers),
// each with its own layout root; agents use the process runtime (no Docker needed).
let dir: string;
let clientKey: SshKeyPair;
const sshds = new Map<string, Sshd>();
let bundle: HostBundle;
let apiPort: number;
let agentPort: number;
let inventoryText: string;
const events = new RecordingEvents();
const layoutFor = (h: BootstrapHost) => buildHostLayout({ root: join(dir, 'hosts', h.name) });
const options = (inventory: BootstrapHosts, trustNewHosts = true) => ({
  inventory,
  stateDir: join(dir, 'state'),
  trustNewHosts,
  layoutFor,
  bundle,
  apiPort,
  apiListen: `127.0.0.1:${apiPort}`,
  agentListen: (h: BootstrapHost) => `${h.address}:${agentPort}`,
  readyTimeoutMs: 120_000,
  connectAttempts: 2,
  // These hosts share the runner's network namespace: their agents must not edit its firewall.
  agentServiceProxy: false,
  loadRuntime: loadSetupRuntime,
  events,
});

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), `tugboat-inv-${process.pid}-`));
  clientKey = generateSshKey(join(dir, 'keys'), 'id_ed25519');
  const manifest = JSON.parse(
    execFileSync(process.execPath, ['scripts/bundle.mjs', '--outdir', join(dir, 'bundles')], {
      encoding: 'utf8',
    }),
  );
  bundle = { file: manifest.file, content: readFileSync(join(dir, 'bundles', manifest.file)) };
  const started = await startInventoryHosts(
    'lab',
    [
      ['m1', '127.0.0.1'],
      ['w1', '127.0.0.2'],
      ['w2', '127.0.0.3'],
    ],
    clientKey,
  );
  for (const [name, s] of started.sshds) sshds.set(name, s);
  apiPort = await freePort();
  agentPort = await freePort('127.0.0.2');
  inventoryText = started.inventoryText;
});

afterAll(async () => {
  if (inventoryText) {
    await uninstallInventory({ ...options(parseBootstrapHosts(inventoryText)) }).catch(() => undefined);
  }
  for (const s of sshds.values()) await s.stop();
  rmSync(dir, { recursive: true, force: true });
  // Uninstalling three hosts took 117 s at load 15 (the uninstall test's own figure): more than the default hook time.
}, 300_000);

function kubectl(args: string[]): string {
  const kubeconfig = join(dir, 'state', 'kubeconfig');
  return execFileSync('kubectl', ['--kubeconfig', kubeconfig, ...args], {
    encoding: 'utf8',
    timeout: 60_000,
  });
}

describe('bootstrap --inventory with three hosts over SSH', () => {
  it('brings up the control plane and two Ready nodes that real kubectl sees', async () => {
    const result = await bootstrapInventory(options(parseBootstrapHosts(inventoryText)));
    for (const h of result.hosts) expect(h.ok, h.ok ? '' : h.error.message).toBe(true);
    // Each host got the pinned runtime and its service runs with it, not with this machine's node.
    expect(result.hosts.map((h) => h.ok && h.value.runtimeUploaded)).toEqual([true, true, true]);
    const inventory = parseBootstrapHosts(inventoryText);
    const running = execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' });
    for (const h of [inventory.master, ...inventory.workers]) {
      const node = runtimePaths(layoutFor(h), NODE_RUNTIME.version).node;
      expect(execFileSync(node, ['--version'], { encoding: 'utf8' }).trim()).toBe(`v${NODE_RUNTIME.version}`);
      const service = h.role === 'master' ? CONTROL_PLANE_SERVICE : AGENT_SERVICE;
      expect(readFileSync(servicePaths(layoutFor(h), service).supervisor, 'utf8')).toContain(`${node} `);
      expect(running).toContain(`${node} `);
    }
    writeKeyFile(join(dir, 'state', 'kubeconfig'), result.kubeconfig);
    const nodes = kubectl(['get', 'nodes', '--no-headers']);
    expect(nodes).toMatch(/^w1\s+Ready/m);
    expect(nodes).toMatch(/^w2\s+Ready/m);
    // Three hosts each receive the 52 MB runtime over SSH and unpack it on a shared 2-core machine.
  }, 300_000);

  it('running it again uploads nothing and restarts nothing', async () => {
    const result = await bootstrapInventory(options(parseBootstrapHosts(inventoryText), false));
    expect(
      result.hosts.map((h) =>
        h.ok
          ? [h.host, h.value.bytesUploaded, h.value.serviceChanged, h.value.runtimeUploaded]
          : [h.host, h.error.message],
      ),
    ).toEqual([
      ['m1', 0, false, false],
      ['w1', 0, false, false],
      ['w2', 0, false, false],
    ]);
  });

  it('with force, a third run uploads every file again and restarts every service', async () => {
    const inventory = parseBootstrapHosts(inventoryText);
    const hosts = [inventory.master, ...inventory.workers];
    const service = (h: BootstrapHost) => (h.role === 'master' ? CONTROL_PLANE_SERVICE : AGENT_SERVICE);
    // The hosts share this machine, so their supervised services are visible from a local shell.
    const status = () =>
      Promise.all(hosts.map((h) => serviceStatus(new LocalShell(), service(h), { layout: layoutFor(h) })));
    const before = await status();
    const result = await bootstrapInventory({ ...options(inventory, false), force: true });
    expect(
      result.hosts.map((h) =>
        h.ok
          ? [
              h.host,
              h.value.filesUploaded,
              // the bundle travels gzip-compressed: about a quarter of its size
              h.value.bytesUploaded > bundle.content.length / 10,
              h.value.serviceChanged,
            ]
          : [h.host, h.error.message],
      ),
    ).toEqual([
      // The master's seventh file is the service-account signing key (sa.key).
      ['m1', 7, true, true],
      ['w1', 6, true, true],
      ['w2', 6, true, true],
    ]);
    const after = await status();
    for (const [i, s] of after.entries()) {
      expect(s.running).toBe(true);
      expect(s.pid).toBeGreaterThan(0);
      expect(s.pid).not.toBe(before[i]!.pid);
    }
    // --force sends the runtime again too.
  }, 300_000);

  it('skipReady leaves a working cluster alone: no host is even connected to', async () => {
    const skipped = new RecordingEvents();
    const again = await bootstrapInventory({
      ...options(parseBootstrapHosts(inventoryText), false),
      events: skipped,
      skipReady: true,
    });
    expect(again.hosts.map((h) => [h.host, h.ok && h.value.action, h.ok && h.value.bytesUploaded])).toEqual([
      ['m1', 'skipped-ready', 0],
      ['w1', 'skipped-ready', 0],
      ['w2', 'skipped-ready', 0],
    ]);
    // Not even a file comparison: a Ready host is not connected to.
    expect(skipped.events.filter((e) => e.code === 'host.files')).toEqual([]);
    expect(skipped.events.filter((e) => e.code === 'host.skipped')).toHaveLength(3);
  });

  it('skipReady with the control plane down: the master is bootstrapped first, then the Nodes asked again', async () => {
    const inventory = parseBootstrapHosts(inventoryText);
    await stopService(new LocalShell(), CONTROL_PLANE_SERVICE, { layout: layoutFor(inventory.master) });
    const seen = new RecordingEvents();
    const result = await bootstrapInventory({ ...options(inventory, false), events: seen, skipReady: true });
    const byHost = Object.fromEntries(
      result.hosts.map((h) => [h.host, h.ok ? h.value.action : h.error.message]),
    );
    // Its files were all there: only the service was started again.
    expect(byHost.m1).toBe('installed');
    // The agents kept running: whether their Nodes still counted as Ready or were checked again,
    // nothing of theirs needed installing.
    expect(['skipped-ready', 'unchanged']).toContain(byHost.w1);
    expect(['skipped-ready', 'unchanged']).toContain(byHost.w2);
    const health = seen.events
      .filter((e) => e.code === 'cluster.health')
      .map((e) => e.data?.controlPlaneReady);
    expect(health).toEqual([false, true]);
  });

  it('a changed host key and a refused login fail their hosts clearly while the others finish', async () => {
    const w2 = sshds.get('w2')!;
    await w2.stop();
    sshds.set('w2', await startSshd({ listenAddress: w2.host, port: w2.port, clientKey }));
    const stranger = await startSshd({
      listenAddress: '127.0.0.4',
      clientKey: generateSshKey(join(dir, 'keys'), 'other'),
    });
    sshds.set('w3', stranger);
    const text = `${inventoryText}\n  - { name: w3, address: 127.0.0.4, port: ${stranger.port}, role: worker }`;
    const result = await bootstrapInventory(options(parseBootstrapHosts(text), true));
    const byHost = Object.fromEntries(result.hosts.map((h) => [h.host, h]));
    expect(byHost.m1?.ok).toBe(true);
    expect(byHost.w1?.ok).toBe(true);
    const changed = byHost.w2!;
    expect(!changed.ok && changed.error).toBeInstanceOf(HostKeyError);
    expect(!changed.ok && changed.error.message).toContain(`host key of [127.0.0.3]:${w2.port} changed`);
    const refused = byHost.w3!;
    expect(!refused.ok && refused.error).toBeInstanceOf(SshConnectError);
    expect(!refused.ok && refused.error.message).toMatch(/w3 refused our key/);
  });

  it('no private key or token appears in any event', () => {
    const pkiDir = join(dir, 'state', 'pki');
    const keys = [
      'ca.key',
      'admin.key',
      'apiserver.key',
      'apiserver-client.key',
      'nodes/w1.key',
      'nodes/w2.key',
    ].map((f) => readFileSync(join(pkiDir, f), 'utf8'));
    const seen = JSON.stringify(events.events);
    for (const key of keys) {
      for (const line of key.split('\n').filter((l) => l.length > 20 && !l.startsWith('-----'))) {
        expect(seen).not.toContain(line);
      }
    }
  });

  it('uninstall leaves no tugboat process or directory on any host', async () => {
    const inventory = parseBootstrapHosts(inventoryText);
    // w2's host key changed on purpose above; trust its new key by forgetting the old one.
    rmSync(join(dir, 'state', 'known_hosts'));
    const outcomes = await uninstallInventory(options(inventory, true));
    expect(outcomes.map((o) => (o.ok ? true : o.error.message))).toEqual([true, true, true]);
    for (const h of [inventory.master, ...inventory.workers]) {
      for (const d of layoutDirectories(layoutFor(h))) expect(existsSync(d), d).toBe(false);
    }
    const leftovers = execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' })
      .split('\n')
      .filter((l) => l.includes(join(dir, 'hosts')));
    expect(leftovers).toEqual([]);
    // Three hosts stopped one after another on a shared 2-core machine: bounded, but not by 60 s.
  }, 180_000);
});
