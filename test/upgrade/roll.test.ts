import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BootstrapHost, parseBootstrapHosts } from '../../src/bootstrap/bootstrap-hosts.js';
import { bootstrapInventory, uninstallInventory } from '../../src/bootstrap/bootstrap-inventory.js';
import type { HostBundle } from '../../src/bootstrap/control-plane-install.js';
import { buildHostLayout } from '../../src/bootstrap/layout.js';
import { KubeClient } from '../../src/client/client.js';
import { resources } from '../../src/client/types.js';
import { RecordingEvents } from '../../src/events.js';
import type { Node, Pod } from '../../src/kube/index.js';
import { writeKeyFile } from '../../src/pki/index.js';
import { readHostVersions, runUpgrade, UpgradeRefusedError } from '../../src/upgrade/index.js';
import { freePort } from '../harness/process.js';
import { generateSshKey, type Sshd } from '../harness/sshd.js';
import { isReadyPod } from '../support/control-cluster.js';
import { loadSetupRuntime } from '../support/node-runtime.js';
import { startInventoryHosts } from '../support/ssh-inventory.js';
import { buildVersionedBundle } from './versioned-bundle.js';

// A master and two workers on loopback sshd hosts (127.25.0.x, process runtime), installed from a
// bundle built as 1.4.0, then rolled to one built as 1.5.0 while a Deployment with a PDB runs.
let dir: string;
const sshds = new Map<string, Sshd>();
const bundles = new Map<string, HostBundle>();
let apiPort: number;
let agentPort: number;
let inventoryText: string;
const layoutFor = (h: BootstrapHost) => buildHostLayout({ root: join(dir, 'hosts', h.name) });
const base = () => ({
  inventory: parseBootstrapHosts(inventoryText),
  stateDir: join(dir, 'state'),
  trustNewHosts: true,
  layoutFor,
  apiPort,
  apiListen: `127.25.0.1:${apiPort}`,
  agentListen: (h: BootstrapHost) => `${h.address}:${agentPort}`,
  readyTimeoutMs: 120_000,
  connectAttempts: 2,
  agentServiceProxy: false,
  loadRuntime: loadSetupRuntime,
});
let admin: KubeClient;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), `tugboat-upgrade-${process.pid}-`));
  const clientKey = generateSshKey(join(dir, 'keys'), 'id_ed25519');
  for (const v of ['1.4.0', '1.5.0']) bundles.set(v, buildVersionedBundle(dir, v));
  const started = await startInventoryHosts(
    'upg',
    [
      ['m1', '127.25.0.1'],
      ['w1', '127.25.0.2'],
      ['w2', '127.25.0.3'],
    ],
    clientKey,
  );
  for (const [name, s] of started.sshds) sshds.set(name, s);
  apiPort = await freePort('127.25.0.1');
  agentPort = await freePort('127.25.0.2');
  inventoryText = started.inventoryText;
  const result = await bootstrapInventory({ ...base(), bundle: bundles.get('1.4.0')! });
  for (const h of result.hosts) expect(h.ok, h.ok ? '' : h.error.message).toBe(true);
  writeKeyFile(join(dir, 'state', 'kubeconfig'), result.kubeconfig);
  const pki = join(dir, 'state', 'pki');
  admin = new KubeClient({
    server: result.server,
    ca: readFileSync(join(pki, 'ca.crt'), 'utf8'),
    cert: readFileSync(join(pki, 'admin.crt'), 'utf8'),
    key: readFileSync(join(pki, 'admin.key'), 'utf8'),
  });
}, 600_000);

afterAll(async () => {
  admin?.close();
  if (inventoryText) await uninstallInventory(base()).catch(() => undefined);
  for (const s of sshds.values()) await s.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
}, 300_000);

function kubectl(args: string[]): string {
  return execFileSync('kubectl', ['--kubeconfig', join(dir, 'state', 'kubeconfig'), ...args], {
    encoding: 'utf8',
    timeout: 60_000,
  });
}

describe('tugboat upgrade over SSH hosts', () => {
  it('plans from the versions the hosts report, refuses a downgrade, and changes nothing on a dry run', async () => {
    const before = await readHostVersions(admin, parseBootstrapHosts(inventoryText));
    expect(before.map((h) => `${h.name}=${h.version}`)).toEqual(['m1=1.4.0', 'w1=1.4.0', 'w2=1.4.0']);
    expect(kubectl(['get', 'nodes', '--no-headers'])).toMatch(
      /^w1\s+Ready\s+\S+\s+\S+\s+v1\.32\.0\+tugboat-1\.4\.0/m,
    );
    const dry = await runUpgrade({ ...base(), bundle: bundles.get('1.5.0')!, target: '1.5.0', dryRun: true });
    expect(dry.applied).toBe(false);
    expect(dry.plan.steps.map((s) => `${s.role}:${s.hosts.map((h) => h.name).join(',')}`)).toEqual([
      'master:m1',
      'worker:w1',
      'worker:w2',
    ]);
    const refused = await runUpgrade({ ...base(), bundle: bundles.get('1.4.0')!, target: '1.3.0' }).catch(
      (e: unknown) => e,
    );
    expect(refused).toBeInstanceOf(UpgradeRefusedError);
    expect((refused as Error).message).toContain('refusing a downgrade; pass --allow-downgrade');
    expect((await readHostVersions(admin, parseBootstrapHosts(inventoryText))).map((h) => h.version)).toEqual(
      ['1.4.0', '1.4.0', '1.4.0'],
    );
  });

  it('rolls master then workers one at a time, keeping the PDB, until every host reports 1.5.0', async () => {
    kubectl(['create', 'deployment', 'web', '--image=local/busybox', '--replicas=2', '--', 'sleep', '3600']);
    kubectl(['rollout', 'status', 'deployment/web', '--timeout=120s']);
    kubectl(['create', 'pdb', 'web', '--selector=app=web', '--min-available=1']);
    let minReady = 2;
    let samples = 0;
    let sampling = true;
    // Sampled while the API answers: the master's own restart is not a disruption of the pods.
    const sampler = (async () => {
      while (sampling) {
        const pods = await admin
          .list<Pod>(resources.pods, { labelSelector: { app: 'web' } })
          .catch(() => undefined);
        if (pods) {
          samples++;
          minReady = Math.min(minReady, pods.items.filter(isReadyPod).length);
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    const events = new RecordingEvents();
    let result: Awaited<ReturnType<typeof runUpgrade>>;
    try {
      result = await runUpgrade({ ...base(), bundle: bundles.get('1.5.0')!, target: '1.5.0', events });
    } finally {
      sampling = false;
      await sampler;
    }
    expect(result.applied).toBe(true);
    expect(result.stepMs).toHaveLength(3);
    expect(samples).toBeGreaterThan(10);
    expect(minReady).toBeGreaterThanOrEqual(1);
    // The web pods were really moved: evictions went through the Eviction API.
    expect(events.events.filter((e) => e.code === 'drain.evicted').length).toBeGreaterThanOrEqual(2);
    const after = await readHostVersions(admin, parseBootstrapHosts(inventoryText));
    expect(after.map((h) => `${h.name}=${h.version}`)).toEqual(['m1=1.5.0', 'w1=1.5.0', 'w2=1.5.0']);
    const nodes = (await admin.list<Node>(resources.nodes)).items;
    for (const n of nodes) {
      expect(n.spec?.unschedulable, n.metadata.name).toBeFalsy();
      expect(n.metadata.annotations?.['tugboat.io/upgrade-cordoned']).toBeUndefined();
    }
    expect(
      (await admin.list<Pod>(resources.pods, { labelSelector: { app: 'web' } })).items.filter(isReadyPod),
    ).toHaveLength(2);

    // Run again: every host is at the target, nothing to do.
    const again = await runUpgrade({ ...base(), bundle: bundles.get('1.5.0')!, target: '1.5.0' });
    expect(again.plan.steps).toEqual([]);
    expect(again.plan.upToDate).toEqual(['m1', 'w1', 'w2']);
  }, 600_000);
});
