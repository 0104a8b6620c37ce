import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BootstrapHost, parseBootstrapHosts } from '../../src/bootstrap/bootstrap-hosts.js';
import { bootstrapInventory, uninstallInventory } from '../../src/bootstrap/bootstrap-inventory.js';
import type { HostBundle } from '../../src/bootstrap/control-plane-install.js';
import { ETCD_SERVICE } from '../../src/bootstrap/etcd-install.js';
import { buildHostLayout } from '../../src/bootstrap/layout.js';
import { servicePaths } from '../../src/bootstrap/service-units.js';
import { KubeClient } from '../../src/client/client.js';
import { resources } from '../../src/client/types.js';
import { RecordingEvents } from '../../src/events.js';
import type { ConfigMap, Lease } from '../../src/kube/index.js';
import { writeKeyFile } from '../../src/pki/index.js';
import {
  readHostVersions,
  renderUpgradePlan,
  runUpgrade,
  UpgradeRefusedError,
} from '../../src/upgrade/index.js';
import { freePort } from '../harness/process.js';
import { generateSshKey, type Sshd, startSshd } from '../harness/sshd.js';
import { loadSetupRuntime } from '../support/node-runtime.js';
import { buildVersionedBundle } from './versioned-bundle.js';

const run = promisify(execFile);

// Three masters on etcd and a worker on loopback sshd hosts (127.0.27.x: this helper's range,
// each its own host layout, process runtime), installed from a bundle built as 1.4.0, then rolled
// to one built as 1.5.0 while a client writes a ConfigMap every 20 ms through failover.
let dir: string;
const sshds: Sshd[] = [];
const bundles = new Map<string, HostBundle>();
let apiPort: number;
let agentPort: number;
let inventoryText: string;
let frozenEtcd: number | undefined;
const layoutFor = (h: BootstrapHost) => buildHostLayout({ root: join(dir, 'hosts', h.name) });
const inventory = () => parseBootstrapHosts(inventoryText);
const base = () => ({
  inventory: inventory(),
  stateDir: join(dir, 'state'),
  trustNewHosts: true,
  layoutFor,
  apiPort,
  apiListen: (h: BootstrapHost) => `${h.address}:${apiPort}`,
  agentListen: (h: BootstrapHost) => `${h.address}:${agentPort}`,
  readyTimeoutMs: 120_000,
  connectAttempts: 2,
  agentServiceProxy: false,
  loadRuntime: loadSetupRuntime,
});
const url = (n: number) => `https://127.0.27.${n}:${apiPort}`;
let admin: KubeClient;
const masterClients = new Map<string, KubeClient>();

/** The PID of a master's etcd process (the supervised service's child). */
function etcdPid(master: string): number {
  const layout = buildHostLayout({ root: join(dir, 'hosts', master) });
  return Number(readFileSync(servicePaths(layout, ETCD_SERVICE).childPidfile, 'utf8').trim());
}

/** Versions as each master's own API server and each Node report them. */
const versions = async () =>
  (await readHostVersions(admin, inventory(), (m) => masterClients.get(m.name)!)).map(
    (h) => `${h.name}=${h.version}`,
  );

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), `tugboat-upgrade-mm-${process.pid}-`));
  const clientKey = generateSshKey(join(dir, 'keys'), 'id_ed25519');
  for (const v of ['1.4.0', '1.5.0']) bundles.set(v, buildVersionedBundle(dir, v));
  const hosts = [1, 2, 3, 4].map((n) => [n === 4 ? 'w1' : `m${n}`, `127.0.27.${n}`] as const);
  for (const [, address] of hosts) sshds.push(await startSshd({ listenAddress: address, clientKey }));
  inventoryText = [
    'cluster: upg27',
    `ssh: { user: ${sshds[0]!.username}, privateKeyFile: ${clientKey.privateKeyPath} }`,
    'runtime: process',
    'hosts:',
    ...hosts.map(
      ([name], i) =>
        `  - { name: ${name}, address: ${sshds[i]!.host}, port: ${sshds[i]!.port}, role: ${name === 'w1' ? 'worker' : 'master'} }`,
    ),
  ].join('\n');
  apiPort = await freePort('127.0.27.1');
  agentPort = await freePort('127.0.27.4');
  const result = await bootstrapInventory({ ...base(), bundle: bundles.get('1.4.0')! });
  for (const h of result.hosts) expect(h.ok, h.ok ? '' : h.error.message).toBe(true);
  writeKeyFile(join(dir, 'state', 'kubeconfig'), result.kubeconfig);
  const pki = join(dir, 'state', 'pki');
  admin = new KubeClient({
    server: url(1),
    failoverServers: [url(2), url(3)],
    ca: readFileSync(join(pki, 'ca.crt'), 'utf8'),
    cert: readFileSync(join(pki, 'admin.crt'), 'utf8'),
    key: readFileSync(join(pki, 'admin.key'), 'utf8'),
  });
  for (const n of [1, 2, 3])
    masterClients.set(
      `m${n}`,
      new KubeClient({ ...admin.transport.options, server: url(n), failoverServers: [] }),
    );
}, 600_000);

afterAll(async () => {
  if (frozenEtcd) process.kill(frozenEtcd, 'SIGCONT');
  admin?.close();
  for (const c of masterClients.values()) c.close();
  if (inventoryText) await uninstallInventory(base()).catch(() => undefined);
  for (const s of sshds) await s.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
}, 300_000);

/** Writes a ConfigMap every 20 ms through a failover client; remembers what the API acknowledged. */
function startWriter() {
  const acknowledged: string[] = [];
  let failed = 0;
  let longestOutageMs = 0;
  let failingSince: number | undefined;
  let writing = true;
  const done = (async () => {
    for (let i = 0; writing; i++) {
      const name = `w-${i}`;
      try {
        await admin.create<ConfigMap>(resources.configMaps, {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name, namespace: 'default' },
          data: { i: String(i) },
        });
        acknowledged.push(name);
        if (failingSince !== undefined)
          longestOutageMs = Math.max(longestOutageMs, Date.now() - failingSince);
        failingSince = undefined;
      } catch {
        failed++;
        failingSince ??= Date.now();
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  return {
    acknowledged,
    stats: () => ({ failed, longestOutageMs }),
    stop: async () => {
      writing = false;
      await done;
    },
  };
}

/**
 * Samples the worker's node Lease every 500 ms until stopped: the longest time between two
 * renewals seen. Its agent renews every 10 s through whichever master answers; past 40 s the
 * Node would turn NotReady.
 */
function startLeaseSampler(node: string) {
  let sampling = true;
  let last: { renewTime: string; seenAt: number } | undefined;
  let longestGapMs = 0;
  const done = (async () => {
    while (sampling) {
      const lease = await admin.get<Lease>(resources.leases, node, 'kube-node-lease').catch(() => undefined);
      const renewTime = lease?.spec?.renewTime;
      if (renewTime && renewTime !== last?.renewTime) {
        if (last) longestGapMs = Math.max(longestGapMs, Date.now() - last.seenAt);
        last = { renewTime, seenAt: Date.now() };
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  })();
  return {
    stop: async () => {
      sampling = false;
      await done;
      return longestGapMs;
    },
  };
}

describe('tugboat upgrade of three masters on etcd and a worker (sshd hosts)', () => {
  it('the dry run shows every master, a downgrade is refused, nothing changes', async () => {
    expect(await versions()).toEqual(['m1=1.4.0', 'm2=1.4.0', 'm3=1.4.0', 'w1=1.4.0']);
    const dry = await runUpgrade({ ...base(), bundle: bundles.get('1.5.0')!, target: '1.5.0', dryRun: true });
    expect(dry.applied).toBe(false);
    expect(renderUpgradePlan(dry.plan)).toBe(
      [
        'upgrade to 1.5.0:',
        '  step 1: master',
        '    m1: 1.4.0 -> 1.5.0',
        '  step 2: master',
        '    m2: 1.4.0 -> 1.5.0',
        '  step 3: master',
        '    m3: 1.4.0 -> 1.5.0',
        '  step 4: workers (drain, reinstall, uncordon)',
        '    w1: 1.4.0 -> 1.5.0',
      ].join('\n'),
    );
    const refused = await runUpgrade({ ...base(), bundle: bundles.get('1.4.0')!, target: '1.3.0' }).catch(
      (e: unknown) => e,
    );
    expect(refused).toBeInstanceOf(UpgradeRefusedError);
    expect((refused as Error).message).toBe(
      '1.3.0 is older than 1.4.0 on master m1: refusing a downgrade; pass --allow-downgrade to roll back on purpose',
    );
    expect(await versions()).toEqual(['m1=1.4.0', 'm2=1.4.0', 'm3=1.4.0', 'w1=1.4.0']);
  }, 120_000);

  it('stops when a reinstalled master’s etcd is unhealthy, refuses the next master, then finishes with no acknowledged write lost', async () => {
    const writer = startWriter();
    // While masters restart (until the worker's own step): its agent keeps renewing via another master.
    const lease = startLeaseSampler('w1');
    let leaseGapMs: number | undefined;
    let resumedSteps = '';
    try {
      // m2's etcd freezes (SIGSTOP) right after m2's reinstall became ready: the roll must stop there.
      const events = new RecordingEvents();
      const stopped = await runUpgrade({
        ...base(),
        bundle: bundles.get('1.5.0')!,
        target: '1.5.0',
        healthTimeoutMs: 20_000,
        events: {
          emit: (e) => {
            events.emit(e);
            const d = e.data as { host?: string; step?: string } | undefined;
            if (e.code === 'host.step' && d?.host === 'm2' && d.step === 'healthy' && !frozenEtcd) {
              frozenEtcd = etcdPid('m2');
              process.kill(frozenEtcd, 'SIGSTOP');
            }
          },
        },
      }).catch((err: unknown) => err as Error);
      expect(stopped).toBeInstanceOf(Error);
      expect((stopped as Error).message).toMatch(
        /^master m2 was not healthy within 20s of its reinstall to 1\.5\.0: etcd: member m2 https:\/\/127\.0\.27\.2:2379 is not healthy: .+\nthe roll stopped before master m3/,
      );
      expect(events.events.filter((e) => e.code === 'upgrade.master.healthy').map((e) => e.data)).toEqual([
        { master: 'm1' },
      ]);
      expect(await versions()).toEqual(['m1=1.5.0', 'm2=1.5.0', 'm3=1.4.0', 'w1=1.4.0']);

      // Run again while m2's member is still down: m3 is not touched.
      const refused = await runUpgrade({
        ...base(),
        bundle: bundles.get('1.5.0')!,
        target: '1.5.0',
        healthTimeoutMs: 5_000,
      }).catch((err: unknown) => err as Error);
      expect((refused as Error).message).toMatch(
        /^not reinstalling master m3: the other masters were not healthy within 5s, so taking it down could lose etcd's quorum: etcd: member m2 https:\/\/127\.0\.27\.2:2379 is not healthy/,
      );
      expect(await versions()).toEqual(['m1=1.5.0', 'm2=1.5.0', 'm3=1.4.0', 'w1=1.4.0']);

      // m2's etcd comes back: the same command continues with m3, and is stopped (Ctrl-C) as
      // soon as m3's control plane was reinstalled, before its health is known.
      process.kill(frozenEtcd!, 'SIGCONT');
      frozenEtcd = undefined;
      const ctrlC = new AbortController();
      const interrupted = await runUpgrade({
        ...base(),
        bundle: bundles.get('1.5.0')!,
        target: '1.5.0',
        signal: ctrlC.signal,
        events: {
          emit: (e) => {
            const d = e.data as { host?: string; step?: string } | undefined;
            if (e.code === 'host.step' && d?.host === 'm3' && d.step === 'install') ctrlC.abort();
          },
        },
      }).catch((err: unknown) => err as Error);
      expect(interrupted).toBeInstanceOf(Error);
      expect((await versions()).at(-1)).toBe('w1=1.4.0');

      // Resumed: m1 and m2 are skipped; m3 is either checked (it already runs 1.5.0) or
      // reinstalled (it did not answer yet), then the worker.
      const resumed = new RecordingEvents();
      const finished = await runUpgrade({
        ...base(),
        bundle: bundles.get('1.5.0')!,
        target: '1.5.0',
        events: {
          emit: (e) => {
            resumed.emit(e);
            if (e.code === 'upgrade.step' && (e.data as { role?: string }).role === 'worker')
              void lease.stop().then((gap) => {
                leaseGapMs = gap;
              });
          },
        },
      });
      expect(finished.plan.upToDate.slice(0, 2)).toEqual(['m1', 'm2']);
      expect(finished.plan.steps.at(-1)).toEqual({
        role: 'worker',
        hosts: [{ name: 'w1', from: '1.4.0', to: '1.5.0' }],
      });
      resumedSteps = finished.plan.steps
        .map((s, i) => `${s.hosts[0]!.name} ${finished.stepMs[i]} ms`)
        .join(', ');
      expect(resumed.events.filter((e) => e.code === 'upgrade.master.healthy').map((e) => e.data)).toEqual([
        { master: 'm1' },
        { master: 'm2' },
        { master: 'm3' },
      ]);
    } finally {
      await writer.stop();
      leaseGapMs ??= await lease.stop();
    }
    expect(writer.acknowledged.length).toBeGreaterThan(100);
    expect(leaseGapMs).toBeGreaterThan(0);
    expect(leaseGapMs).toBeLessThan(40_000);
    const stored = new Set(
      (await admin.list<ConfigMap>(resources.configMaps, { namespace: 'default' })).items.map(
        (c) => c.metadata.name,
      ),
    );
    expect(writer.acknowledged.filter((n) => !stored.has(n))).toEqual([]);
    console.info(
      `writes: ${writer.acknowledged.length} acknowledged, ${JSON.stringify(writer.stats())} (failed writes, longest run of failures); w1's longest gap between Lease renewals while masters rolled: ${leaseGapMs} ms; resumed run: ${resumedSteps}`,
    );
    expect(await versions()).toEqual(['m1=1.5.0', 'm2=1.5.0', 'm3=1.5.0', 'w1=1.5.0']);
    // kubectl through the kubeconfig (the first master) sees the worker Ready at the new version.
    const { stdout } = await run(
      'kubectl',
      ['--kubeconfig', join(dir, 'state', 'kubeconfig'), 'get', 'nodes', '--no-headers'],
      { timeout: 60_000 },
    );
    expect(stdout).toMatch(/^w1\s+Ready\s+\S+\s+\S+\s+v1\.32\.0\+tugboat-1\.5\.0/m);
    const again = await runUpgrade({ ...base(), bundle: bundles.get('1.5.0')!, target: '1.5.0' });
    expect(again.plan.steps).toEqual([]);
  }, 900_000);
});
