import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BootstrapHosts, parseBootstrapHosts } from '../../src/bootstrap/bootstrap-hosts.js';
import { bootstrapInventory, uninstallInventory } from '../../src/bootstrap/bootstrap-inventory.js';
import type { HostBundle } from '../../src/bootstrap/control-plane-install.js';
import { buildHostLayout } from '../../src/bootstrap/layout.js';
import { RecordingEvents } from '../../src/events.js';
import { writeKeyFile } from '../../src/pki/index.js';
import { freePort } from '../harness/process.js';
import { generateSshKey, type Sshd, startSshd } from '../harness/sshd.js';
import { loadSetupRuntime } from '../support/node-runtime.js';

// Issue 16: a single-node cluster. An inventory with only a master: the control plane and the
// node agent both run there (pinned runtime, process runtime, real sshd), the master is a Ready,
// untainted Node, and a pod runs on it.
let dir: string;
let sshd: Sshd;
let bundle: HostBundle;
let inventory: BootstrapHosts;
let apiPort: number;
let agentPort: number;
const options = () => ({
  inventory,
  stateDir: join(dir, 'state'),
  trustNewHosts: true,
  layoutFor: () => buildHostLayout({ root: join(dir, 'host') }),
  // The host is this machine (loopback): its agent must not program this machine's iptables.
  agentServiceProxy: false,
  bundle,
  apiPort,
  apiListen: `127.0.0.1:${apiPort}`,
  agentListen: () => `127.0.0.1:${agentPort}`,
  readyTimeoutMs: 240_000,
  connectAttempts: 2,
  loadRuntime: loadSetupRuntime,
  events: new RecordingEvents(),
});
const kubectl = (args: string[]) =>
  execFileSync('kubectl', ['--kubeconfig', join(dir, 'kubeconfig'), ...args], {
    encoding: 'utf8',
    timeout: 60_000,
  });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), `tugboat-single-${process.pid}-`));
  const key = generateSshKey(join(dir, 'keys'), 'id_ed25519');
  const manifest = JSON.parse(
    execFileSync(process.execPath, ['scripts/bundle.mjs', '--outdir', join(dir, 'bundles')], {
      encoding: 'utf8',
    }),
  );
  bundle = { file: manifest.file, content: readFileSync(join(dir, 'bundles', manifest.file)) };
  sshd = await startSshd({ listenAddress: '127.0.0.1', clientKey: key });
  apiPort = await freePort();
  agentPort = await freePort();
  inventory = parseBootstrapHosts(
    [
      'cluster: solo',
      `ssh: { user: ${sshd.username}, privateKeyFile: ${key.privateKeyPath} }`,
      'runtime: process',
      'hosts:',
      `  - { name: m1, address: 127.0.0.1, port: ${sshd.port}, role: master }`,
    ].join('\n'),
  );
});

afterAll(async () => {
  if (inventory) await uninstallInventory(options()).catch(() => undefined);
  await sshd?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
  // Uninstall scans every process of this (shared, loaded) machine: give it room.
}, 300_000);

describe('a single-node cluster (inventory with only a master)', () => {
  it('runs the control plane and the agent on the master, which is a Ready node without taints', async () => {
    const result = await bootstrapInventory(options());
    const [m1] = result.hosts;
    expect(m1?.ok, m1 && !m1.ok ? m1.error.message : '').toBe(true);
    writeKeyFile(join(dir, 'kubeconfig'), result.kubeconfig);
    expect(kubectl(['get', 'nodes', '--no-headers'])).toMatch(/^m1\s+Ready/m);
    expect(kubectl(['get', 'node', 'm1', '-o', 'jsonpath={.spec.taints}'])).toBe('');
  }, 300_000);

  it('schedules a pod on the master and runs it', () => {
    kubectl([
      'run',
      'solo',
      '--image=local/busybox',
      '--restart=Never',
      '--command',
      '--',
      'sh',
      '-c',
      'echo hi from m1; sleep 600',
    ]);
    kubectl(['wait', '--for=condition=Ready', 'pod/solo', '--timeout=120s']);
    expect(kubectl(['get', 'pod', 'solo', '-o', 'jsonpath={.spec.nodeName}'])).toBe('m1');
  }, 180_000);

  it('a second run changes nothing on it', async () => {
    const again = await bootstrapInventory({ ...options(), trustNewHosts: false });
    expect(
      again.hosts.map((h) => (h.ok ? [h.value.action, h.value.bytesUploaded] : h.error.message)),
    ).toEqual([['unchanged', 0]]);
  }, 300_000);
});
