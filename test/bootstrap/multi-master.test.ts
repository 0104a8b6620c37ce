import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AGENT_SERVICE } from '../../src/bootstrap/agent-install.js';
import type { BootstrapHost, BootstrapHosts } from '../../src/bootstrap/bootstrap-hosts.js';
import {
  type BootstrapInventoryOptions,
  bootstrapInventory,
  uninstallInventory,
} from '../../src/bootstrap/bootstrap-inventory.js';
import { CONTROL_PLANE_SERVICE, type HostBundle } from '../../src/bootstrap/control-plane-install.js';
import { etcdClusterHealth } from '../../src/bootstrap/etcd-health.js';
import { ETCD_SERVICE, etcdPaths } from '../../src/bootstrap/etcd-install.js';
import { buildHostLayout, layoutDirectories } from '../../src/bootstrap/layout.js';
import { restartService, serviceStatus, stopService } from '../../src/bootstrap/service.js';
import { servicePaths } from '../../src/bootstrap/service-units.js';
import { renderControlPlane } from '../../src/cli/support/format-cluster.js';
import { readControlPlaneChecks } from '../../src/cluster/control-plane-checks.js';
import { LOST_QUORUM_RECOVERY } from '../../src/control-plane/store/etcd-quorum.js';
import { AbortError } from '../../src/errors.js';
import type { TugboatEvent } from '../../src/events.js';
import { writeKeyFile } from '../../src/pki/index.js';
import { LocalShell } from '../../src/ssh/local-shell.js';
import { freePort } from '../harness/process.js';
import { makeDeployment } from '../support/k8s-objects.js';
import { loadSetupRuntime } from '../support/node-runtime.js';
import { waitFor } from '../support/wait.js';

const run = promisify(execFile);

// Three masters and one worker on loopback addresses of their own (127.0.26.x: this helper's
// range), each with its own host layout, reached through a LocalShell per host (supervised
// services: no systemd here). The same bootstrapInventory SSH bootstrap runs.
const dir = mkdtempSync(join(tmpdir(), `tugboat-multimaster-${process.pid}-`));
const host = (n: number, role: 'master' | 'worker'): BootstrapHost => ({
  name: role === 'master' ? `m${n}` : `w${n - 3}`,
  address: `127.0.26.${n}`,
  port: 22,
  user: 'root',
  role,
});
const masters = [1, 2, 3].map((n) => host(n, 'master'));
const inventory: BootstrapHosts = {
  cluster: 'mm26',
  runtime: 'process',
  master: masters[0]!,
  masters,
  workers: [host(4, 'worker')],
};
const layoutFor = (h: BootstrapHost) => buildHostLayout({ root: join(dir, 'hosts', h.name) });
const kubeconfig = join(dir, 'kubeconfig');
let bundle: HostBundle;
let apiPort: number;
let agentPort: number;

const options = (): BootstrapInventoryOptions => ({
  inventory,
  stateDir: join(dir, 'state'),
  openShell: async (h) => new LocalShell({ host: h.name }),
  layoutFor,
  bundle,
  apiPort,
  apiListen: (h) => `${h.address}:${apiPort}`,
  agentListen: (h) => `${h.address}:${agentPort}`,
  readyTimeoutMs: 120_000,
  // These hosts share the runner's network namespace: their agents must not edit its firewall.
  agentServiceProxy: false,
  loadRuntime: loadSetupRuntime,
});

const url = (m: BootstrapHost) => `https://${m.address}:${apiPort}`;
async function kubectl(args: string[], server?: BootstrapHost): Promise<string> {
  const { stdout } = await run(
    'kubectl',
    ['--kubeconfig', kubeconfig, ...(server ? ['--server', url(server)] : []), ...args],
    { timeout: 60_000 },
  );
  return stdout;
}

/** A full bootstrap run that uploads nothing and restarts nothing on any host. */
async function expectNothingChanges(): Promise<void> {
  const again = await bootstrapInventory(options());
  expect(
    again.hosts.map((h) =>
      h.ok ? [h.host, h.value.bytesUploaded, h.value.serviceChanged] : [h.host, h.error.message],
    ),
  ).toEqual([
    ['m1', 0, false],
    ['m2', 0, false],
    ['m3', 0, false],
    ['w1', 0, false],
  ]);
}

beforeAll(async () => {
  const manifest = JSON.parse(
    execFileSync(process.execPath, ['scripts/bundle.mjs', '--outdir', join(dir, 'bundles')], {
      encoding: 'utf8',
    }),
  );
  bundle = { file: manifest.file, content: readFileSync(join(dir, 'bundles', manifest.file)) };
  apiPort = await freePort('127.0.26.1');
  agentPort = await freePort('127.0.26.4');
}, 120_000);

afterAll(async () => {
  if (bundle) await uninstallInventory(options()).catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
}, 300_000);

describe('bootstrap of three masters on etcd and a worker (LocalShell, loopback addresses)', () => {
  it('forms etcd on every master, an API server on each, and a Ready worker that kubectl sees', async () => {
    // Ctrl-C as soon as the first etcd member is installed: the run ends, every host reports it,
    // and the next run finishes the job from there.
    const ctrlC = new AbortController();
    const stopped = await bootstrapInventory({
      ...options(),
      signal: ctrlC.signal,
      events: {
        emit: (e) => {
          if (e.code === 'host.step' && (e.data as { step?: string }).step === 'etcd') ctrlC.abort();
        },
      },
    });
    expect(stopped.hosts.every((h) => !h.ok)).toBe(true);
    expect(stopped.hosts.some((h) => !h.ok && h.error instanceof AbortError)).toBe(true);
    const result = await bootstrapInventory(options());
    for (const h of result.hosts) expect(h.ok, h.ok ? '' : h.error.message).toBe(true);
    expect(result.hosts.map((h) => h.host)).toEqual(['m1', 'm2', 'm3', 'w1']);
    expect(result.servers).toEqual(masters.map(url));
    writeKeyFile(kubeconfig, result.kubeconfig);
    // No api.dns: the kubeconfig names the first master.
    expect(result.kubeconfig).toContain(`server: ${url(masters[0]!)}`);
    expect(await kubectl(['get', 'nodes', '--no-headers'])).toMatch(/^w1\s+Ready/m);
    // The agent knows the other masters.
    const agentCommand = readFileSync(
      servicePaths(layoutFor(inventory.workers[0]!), AGENT_SERVICE).supervisor,
      'utf8',
    );
    expect(agentCommand).toContain(
      `--server ${url(masters[0]!)} --failover-server ${url(masters[1]!)} --failover-server ${url(masters[2]!)}`,
    );
    // Every API server runs on all three members, its own first.
    const m2Command = readFileSync(
      servicePaths(layoutFor(masters[1]!), CONTROL_PLANE_SERVICE).supervisor,
      'utf8',
    );
    expect(m2Command).toContain(
      '--store etcd --etcd-endpoints https://127.0.26.2:2379,https://127.0.26.1:2379,https://127.0.26.3:2379',
    );
  }, 400_000);

  it('a ConfigMap written through master 1 is read through master 3 (one certificate names every master)', async () => {
    await kubectl(['create', 'configmap', 'via-m1', '--from-literal=written=m1'], masters[0]);
    const read = await kubectl(['get', 'configmap', 'via-m1', '-o', 'jsonpath={.data.written}'], masters[2]);
    expect(read).toBe('m1');
  }, 120_000);

  it('running it again uploads nothing and restarts nothing on any host', async () => {
    await expectNothingChanges();
  }, 300_000);

  it('three control planes on one etcd: one set of controllers acts, a Deployment gets exactly its replicas', async () => {
    // Pods for no node (the selector matches none): the ReplicaSet controller creates them all the same.
    const manifest = join(dir, 'once.yaml');
    const deployment = makeDeployment('once', 3);
    const { uid: _uid, generation: _generation, ...metadata } = deployment.metadata;
    const template = deployment.spec.template;
    writeFileSync(
      manifest,
      JSON.stringify({
        ...deployment,
        metadata,
        spec: {
          ...deployment.spec,
          template: {
            ...template,
            spec: { ...template.spec, nodeSelector: { 'tugboat.dev/test': 'nowhere' } },
          },
        },
      }),
    );
    await kubectl(['create', '-f', manifest]);
    const pods = async () =>
      (await kubectl(['get', 'pods', '-l', 'app=once', '--no-headers', '-o', 'name'], masters[1]))
        .split('\n')
        .filter(Boolean);
    await waitFor(async () => (await pods()).length >= 3, '3 pods', 60_000, 500);
    // Three controller managers reconciling would each create pods for the same ReplicaSet (and
    // ReplicaSets for the same Deployment): after several sync periods there are still exactly 3.
    await new Promise((r) => setTimeout(r, 5_000));
    expect(await pods()).toHaveLength(3);
    const replicaSets = await kubectl(['get', 'replicasets', '-l', 'app=once', '--no-headers', '-o', 'name']);
    expect(replicaSets.split('\n').filter(Boolean)).toHaveLength(1);
    const holder = await kubectl([
      'get',
      'lease',
      '-n',
      'kube-system',
      'tugboat-controller-manager',
      '-o',
      'jsonpath={.spec.holderIdentity}',
    ]);
    expect(holder).not.toBe('');
  }, 180_000);

  it('the kubernetes Endpoints list all three API servers; a SIGKILLed one drops out after its lease expires and comes back when restarted', async () => {
    const listed = async (via: BootstrapHost) =>
      (await kubectl(['get', 'endpoints', 'kubernetes', '-o', 'jsonpath={.subsets[*].addresses[*].ip}'], via))
        .split(' ')
        .filter(Boolean);
    const all = ['127.0.26.1', '127.0.26.2', '127.0.26.3'];
    await waitFor(
      async () => JSON.stringify(await listed(masters[0]!)) === JSON.stringify(all),
      'the kubernetes Endpoints to list all three masters',
      60_000,
      500,
    );
    expect(
      await kubectl(['get', 'endpoints', 'kubernetes', '-o', 'jsonpath={.subsets[0].ports[0].port}']),
    ).toBe(String(apiPort));
    // SIGKILL master 3's API server and its supervisor (which would restart it): no graceful removal.
    const m3 = layoutFor(masters[2]!);
    const shell = new LocalShell({ host: 'm3' });
    const status = await serviceStatus(shell, CONTROL_PLANE_SERVICE, { layout: m3, mode: 'supervised' });
    expect(status.pid).toBeGreaterThan(0);
    expect(status.childPid).toBeGreaterThan(0);
    process.kill(status.pid!, 'SIGKILL');
    process.kill(status.childPid!, 'SIGKILL');
    const killedAt = performance.now();
    await waitFor(
      async () => JSON.stringify(await listed(masters[0]!)) === JSON.stringify(all.slice(0, 2)),
      'the killed master to drop out of the kubernetes Endpoints',
      60_000,
      250,
    );
    const droppedAfterMs = Math.round(performance.now() - killedAt);
    console.log(
      `multi-master: a SIGKILLed API server left the kubernetes Endpoints after ${droppedAfterMs} ms`,
    );
    // Not before its 15 s lease has gone unrenewed on the survivors' clocks.
    expect(droppedAfterMs).toBeGreaterThan(10_000);
    await restartService(shell, CONTROL_PLANE_SERVICE, { layout: m3, mode: 'supervised' });
    await waitFor(
      async () => JSON.stringify(await listed(masters[0]!)) === JSON.stringify(all),
      'the restarted master to be listed again',
      60_000,
      500,
    );
  }, 180_000);

  it('with master 1 stopped (control plane and etcd), the agent heartbeats through another master and writes succeed via master 2', async () => {
    const m1 = layoutFor(masters[0]!);
    const shell = new LocalShell({ host: 'm1' });
    await stopService(shell, CONTROL_PLANE_SERVICE, { layout: m1, mode: 'supervised' });
    await stopService(shell, ETCD_SERVICE, { layout: m1, mode: 'supervised' });
    const renewed = async () =>
      Date.parse(
        await kubectl(
          ['get', 'lease', '-n', 'kube-node-lease', 'w1', '-o', 'jsonpath={.spec.renewTime}'],
          masters[1],
        ),
      );
    const stoppedAt = Date.now();
    // The agent renews every 10 s (a quarter of the 40 s lease): a renewal after the stop went through m2 or m3.
    await waitFor(
      async () => (await renewed()) > stoppedAt,
      'w1 to renew its Lease after master 1 stopped',
      60_000,
      500,
    );
    await kubectl(['create', 'configmap', 'via-m2', '--from-literal=written=m2'], masters[1]);
    expect(await kubectl(['get', 'configmap', 'via-m2', '-o', 'jsonpath={.data.written}'], masters[2])).toBe(
      'm2',
    );
    expect(await kubectl(['get', 'node', 'w1', '--no-headers'], masters[2])).toMatch(/^w1\s+Ready/);
  }, 180_000);

  it('bootstrap NAME with master 1 down reinstalls master 1 only: its member rejoins, its API server sees the writes', async () => {
    const again = await bootstrapInventory({ ...options(), skipReady: true });
    expect(again.hosts.map((h) => [h.host, h.ok ? h.value.action : h.error.message])).toEqual([
      ['m1', 'installed'],
      ['m2', 'skipped-ready'],
      ['m3', 'skipped-ready'],
      ['w1', 'skipped-ready'],
    ]);
    expect(await kubectl(['get', 'configmap', 'via-m2', '-o', 'jsonpath={.data.written}'], masters[0])).toBe(
      'm2',
    );
  }, 300_000);

  it('a wiped master rejoins: its dead member is removed, a new one added and synced, writes go on; a re-run changes nothing', async () => {
    const members = masters.map((m) => ({ name: m.name, address: m.address }));
    const fromM2 = () =>
      etcdClusterHealth(new LocalShell({ host: 'm2' }), {
        members,
        layout: layoutFor(masters[1]!),
        nodePath: process.execPath,
      });
    const before = await fromM2();
    expect(before.summary).toBe('3/3 etcd members healthy');
    const oldId = before.members[0]!.id;
    // The host is wiped: its processes stopped, its etcd data gone (a new instance at the same address).
    const m1 = layoutFor(masters[0]!);
    const shell = new LocalShell({ host: 'm1' });
    await stopService(shell, CONTROL_PLANE_SERVICE, { layout: m1, mode: 'supervised' });
    await stopService(shell, ETCD_SERVICE, { layout: m1, mode: 'supervised' });
    rmSync(etcdPaths(m1).dataDir, { recursive: true, force: true });
    const seen: TugboatEvent[] = [];
    const again = await bootstrapInventory({
      ...options(),
      skipReady: true,
      events: { emit: (e) => seen.push(e) },
    });
    expect(again.hosts.map((h) => [h.host, h.ok ? h.value.action : h.error.message])).toEqual([
      ['m1', 'installed'],
      ['m2', 'skipped-ready'],
      ['m3', 'skipped-ready'],
      ['w1', 'skipped-ready'],
    ]);
    expect(seen.filter((e) => e.code.startsWith('etcd.member')).map((e) => e.code)).toEqual([
      'etcd.member-removed',
      'etcd.member-added',
    ]);
    expect(seen.find((e) => e.code === 'etcd.member-removed')?.data).toMatchObject({
      member: 'm1',
      id: oldId,
    });
    const after = await fromM2();
    expect(after.summary).toBe('3/3 etcd members healthy');
    expect(after.members.map((m) => [m.name, m.registered, m.healthy])).toEqual([
      ['m1', true, true],
      ['m2', true, true],
      ['m3', true, true],
    ]);
    expect(after.members[0]!.id).not.toBe(oldId);
    // Synced: the new member serves what was written before it joined, and writes through it go on.
    expect(await kubectl(['get', 'configmap', 'via-m2', '-o', 'jsonpath={.data.written}'], masters[0])).toBe(
      'm2',
    );
    await kubectl(['create', 'configmap', 'after-rejoin', '--from-literal=written=m1'], masters[0]);
    expect(
      await kubectl(['get', 'configmap', 'after-rejoin', '-o', 'jsonpath={.data.written}'], masters[2]),
    ).toBe('m1');
    await waitFor(
      async () => new Set((await fromM2()).members.map((m) => m.revision)).size === 1,
      'every member at the same revision',
      60_000,
      500,
    );
    // The joined member keeps its initial flags (`existing`): nothing restarts on a full re-run.
    await expectNothingChanges();
  }, 400_000);

  it('two of three etcd members stopped: /readyz, status and etcdClusterHealth report lost quorum, who is down and the recovery; bootstrap brings them back', async () => {
    for (const m of [masters[1]!, masters[2]!])
      await stopService(new LocalShell({ host: m.name }), ETCD_SERVICE, {
        layout: layoutFor(m),
        mode: 'supervised',
      });
    const caPem = readFileSync(join(dir, 'state', 'pki', 'ca.crt'), 'utf8');
    const targets = masters.map((m) => ({ host: m.name, server: url(m) }));
    // m1 notices once its leader is gone (an election timeout): its read then fails.
    let checks = await readControlPlaneChecks(targets, { caPem });
    await waitFor(
      async () => {
        checks = await readControlPlaneChecks(targets, { caPem });
        return checks.every((c) => c.answered && c.store?.ok === false);
      },
      'every API server to report etcd without quorum',
      60_000,
      500,
    );
    for (const c of checks) {
      expect(c.ready).toBe(false);
      expect(c.store?.detail).toMatch(
        /^etcd has lost quorum: no member can serve a read, 2 of 3 needed to write; down: /,
      );
      expect(c.store?.detail).toContain('m2 (https://127.0.26.2:2379: ');
      expect(c.store?.detail).toContain('m3 (https://127.0.26.3:2379: ');
      expect(c.store?.detail).toContain('; up without a leader: m1; ');
      expect(c.store?.detail).toContain(LOST_QUORUM_RECOVERY);
    }
    const text = renderControlPlane(checks);
    expect(text).toMatch(/^m1\s+https:\/\/127\.0\.26\.1:\d+\s+no$/m);
    expect(text).toContain('etcd: etcd has lost quorum');
    const fromM1 = await etcdClusterHealth(new LocalShell({ host: 'm1' }), {
      members: masters.map((m) => ({ name: m.name, address: m.address })),
      layout: layoutFor(masters[0]!),
      nodePath: process.execPath,
    });
    expect(fromM1).toMatchObject({
      quorum: false,
      healthy: false,
      healthyCount: 0,
      down: ['m1', 'm2', 'm3'],
    });
    expect(fromM1.members.map((m) => [m.name, m.reachable])).toEqual([
      ['m1', true],
      ['m2', false],
      ['m3', false],
    ]);
    // The documented first step of the recovery: bootstrap starts the stopped members (their data is kept).
    const back = await bootstrapInventory({ ...options(), skipReady: true });
    for (const h of back.hosts) expect(h.ok, h.ok ? '' : h.error.message).toBe(true);
    const [m1] = await readControlPlaneChecks(targets.slice(0, 1), { caPem });
    expect(m1).toMatchObject({ ready: true, store: { ok: true, detail: '3/3 etcd members healthy' } });
    expect(
      await kubectl(['get', 'configmap', 'after-rejoin', '-o', 'jsonpath={.data.written}'], masters[1]),
    ).toBe('m1');
  }, 400_000);

  it('master 3 replaced at another address (same name, new host): its old member is removed, the new one joins; the others keep their etcd running', async () => {
    const m3 = layoutFor(masters[2]!);
    const shell = new LocalShell({ host: 'm3' });
    await stopService(shell, CONTROL_PLANE_SERVICE, { layout: m3, mode: 'supervised' });
    await stopService(shell, ETCD_SERVICE, { layout: m3, mode: 'supervised' });
    rmSync(etcdPaths(m3).dataDir, { recursive: true, force: true });
    const moved: BootstrapHost = { ...masters[2]!, address: '127.0.26.5' };
    const replaced: BootstrapHosts = { ...inventory, masters: [masters[0]!, masters[1]!, moved] };
    const etcdPid = (h: BootstrapHost) =>
      readFileSync(servicePaths(layoutFor(h), ETCD_SERVICE).childPidfile, 'utf8').trim();
    const pidsBefore = [etcdPid(masters[0]!), etcdPid(masters[1]!)];
    const seen: TugboatEvent[] = [];
    const result = await bootstrapInventory({
      ...options(),
      inventory: replaced,
      events: { emit: (e) => seen.push(e) },
    });
    for (const h of result.hosts) expect(h.ok, h.ok ? '' : h.error.message).toBe(true);
    expect(seen.filter((e) => e.code.startsWith('etcd.member')).map((e) => [e.code, e.data?.host])).toEqual([
      ['etcd.member-removed', 'm3'],
      ['etcd.member-added', 'm3'],
    ]);
    // Their --initial-cluster would name the old address, but etcd ignores it: kept, not restarted.
    expect([etcdPid(masters[0]!), etcdPid(masters[1]!)]).toEqual(pidsBefore);
    const health = await etcdClusterHealth(new LocalShell({ host: 'm1' }), {
      members: replaced.masters!.map((m) => ({ name: m.name, address: m.address })),
      layout: layoutFor(masters[0]!),
      nodePath: process.execPath,
    });
    expect(health.summary).toBe('3/3 etcd members healthy');
    expect(health.members.map((m) => m.peerUrls[0])).toEqual([
      'https://127.0.26.1:2380',
      'https://127.0.26.2:2380',
      'https://127.0.26.5:2380',
    ]);
    await kubectl(['create', 'configmap', 'via-new-m3', '--from-literal=written=m3'], moved);
    expect(
      await kubectl(['get', 'configmap', 'via-new-m3', '-o', 'jsonpath={.data.written}'], masters[0]),
    ).toBe('m3');
  }, 400_000);

  it('uninstall leaves every host clean', async () => {
    const outcomes = await uninstallInventory(options());
    for (const o of outcomes) expect(o.ok, o.ok ? '' : o.error.message).toBe(true);
    expect(outcomes.map((o) => o.host)).toEqual(['m1', 'm2', 'm3', 'w1']);
    for (const h of [...masters, ...inventory.workers])
      for (const path of layoutDirectories(layoutFor(h))) expect(existsSync(path), path).toBe(false);
  }, 300_000);
});
