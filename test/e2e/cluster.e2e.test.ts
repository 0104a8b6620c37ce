import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { workerInstallMarkerName } from '../../src/boot/worker-install-marker.js';
import { DEFAULT_HOST_LAYOUT, runPreflight, stopService } from '../../src/bootstrap/index.js';
import {
  buildClusterDefinition,
  type ClusterSpec,
  createAwsClients,
  createCluster,
  loadClusterSpec,
} from '../../src/index.js';
import { connectSsh, type SshShell } from '../../src/ssh/index.js';
import { HostManager } from '../harness/hosts/host-manager.js';
import { run } from '../harness/hosts/shell.js';
import { type Moto, startMoto } from '../harness/moto.js';
import { runCli } from '../support/cli.js';
import { seedRuntimeCache } from '../support/node-runtime.js';
import { describeTagged } from '../support/tagged-resources.js';
import { waitFor } from '../support/wait.js';
import { waitBooted } from './booted-cluster.js';
import { writeE2eSpec } from './e2e-spec.js';
import { reportFailure, tearDown } from './e2e-teardown.js';
import { tugboatLeftovers } from './host-leftovers.js';
import { hostLog } from './host-probes.js';
import { kubectlOk, listPods, nodeReadiness } from './kubectl.js';
import { withHostShell } from './network-checks.js';
import { PhaseClock, TimedEvents } from './phases.js';
import { renderWorkloads } from './workloads.js';

// The whole path on one machine, confined to the runner's network namespace: `tugboat create`
// against emulated AWS (moto) for examples/e2e.yaml, the host harness turning every emulated
// instance into an SSH + Docker host on its private address, `tugboat status` / `eip assign`,
// and `tugboat delete --yes` with its proof. Each phase is timed; the summary prints at the end.
/** What `tugboat bootstrap NAME -o json` (and scale's `bootstrapped`) says per host. */
interface JsonHostAction {
  host: string;
  ok: boolean;
  action: 'installed' | 'unchanged' | 'skipped-ready' | 'failed';
  bytesUploaded?: number;
  changed?: boolean;
  error?: string;
}

interface JsonHost {
  id: string;
  group: string;
  privateIp?: string;
  eip?: { publicIp?: string; allocationId: string };
}

const clock = new PhaseClock();
let moto: Moto;
let spec: ClusterSpec;
let specFile: string;
let manager: HostManager | undefined;
let dir: string;
let env: NodeJS.ProcessEnv;
let hosts: JsonHost[] = [];
let kubeconfig: string;
/** While create (and later scale) runs: the workers launched then boot from their user-data. */
let booting = true;
/** The worker whose agent the node-failure phase stopped. */
let victim: string | undefined;

/** A shell on a host over tugboat's SSH layer, its host key checked against the cluster's known_hosts. */
function withShell<T>(address: string, body: (shell: SshShell) => Promise<T>): Promise<T> {
  return withHostShell(join(dir, 'state', spec.name), address, body, spec.ssh.user);
}

async function tugboat<T>(...argv: string[]): Promise<T> {
  const res = await runCli(['-o', 'json', ...argv], { env, cwd: process.cwd() });
  expect(res.code, `tugboat ${argv.join(' ')}:\n${res.stderr}\n${res.stdout}`).toBe(0);
  return JSON.parse(res.stdout) as T;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tugboat-e2e-'));
  const workers = process.env.TUGBOAT_E2E_WORKERS;
  specFile = writeE2eSpec(dir, workers ? Number(workers) : undefined);
  spec = await loadClusterSpec(specFile);
  moto = await clock.run('moto', () => startMoto({ region: spec.region }));
  env = { ...process.env, ...moto.env, TUGBOAT_STATE_DIR: join(dir, 'state'), HOME: dir };
  delete env.AWS_PROFILE;
  // The hosts' Node.js runtime from the cache setup.sh filled, as a user's second cluster finds it.
  seedRuntimeCache(join(dir, 'state'));
  // Watching starts before create, as a real fleet boots while the stack is still settling.
  manager = HostManager.start({
    endpoint: moto.endpoint,
    region: spec.region,
    cluster: spec.name,
    // tugboat pins host keys; the harness hands them over before each sshd listens, as a real
    // operator would from the instances' console output.
    knownHostsFile: join(dir, 'state', spec.name, 'known_hosts'),
    // As on AWS, create's workers run their user-data (`boot --role worker`) while create installs
    // them over SSH: their boots must leave the install to create; the same for the worker scale
    // adds. The master boots bare (its overlap is the etcd formation marker's, tested in
    // master-rejoin), and so do the other phases' instances.
    bootFromUserData: true,
    bootWhen: (instance) => booting && instance.tags['tugboat:role'] === 'worker',
    log: (l) => process.stderr.write(`hosts: ${l}\n`),
  });
});

afterEach((context) => reportFailure(context.task.result?.state, manager, kubeconfig));

afterAll(async () => {
  await tearDown(manager, moto, dir);
  clock.print();
});

it('createCluster from the library (no CLI), bootstrap on by default: the stack, every instance InService, every node Ready', async () => {
  // As a library user would: clients, a definition from the spec, and nothing about bootstrap
  // but where to merge the kubeconfig (the host bundle is the one `npm run build` wrote).
  const events = new TimedEvents();
  const aws = await createAwsClients({ env: moto.env });
  const created = await clock
    .run('create + bootstrap', () =>
      createCluster({
        aws,
        events,
        definition: buildClusterDefinition(spec),
        stateRoot: join(dir, 'state'),
        bootstrap: { mergeKubeconfigInto: join(dir, '.kube', 'config') },
      }),
    )
    .finally(() => {
      for (const line of events.report('create')) process.stderr.write(`${line}\n`);
    });
  expect(created.stackAction).toBe('created');
  expect(created.bootstrapped).toBe(true);
  expect(events.codes()).toContain('stack.create');
  hosts = [...created.inventory.hosts];
  expect(hosts.filter((h) => h.group === 'master')).toHaveLength(1);
  for (const g of spec.workerGroups) expect(hosts.filter((h) => h.group === g.name)).toHaveLength(g.desired);
  expect(created.bootstrap?.hosts.map((h) => [h.host, h.ok && h.value.action]).sort()).toEqual(
    hosts.map((h) => [h.id, 'installed']).sort(),
  );
  // The context is merged where asked; the cluster's own copy stays in its state dir.
  expect(created.bootstrap?.mergedInto).toBe(join(dir, '.kube', 'config'));
  expect(created.bootstrap?.kubeconfigPath).toBe(join(dir, 'state', spec.name, 'kubeconfig'));
  expect(existsSync(join(dir, 'state', spec.name, 'kubeconfig'))).toBe(true);
  kubeconfig = created.bootstrap!.mergedInto!;
  const workers = hosts.filter((h) => h.group !== 'master');
  const ready = await nodeReadiness(kubeconfig);
  for (const w of workers) expect(ready.get(w.id), w.id).toBe('True');
  const nodes = JSON.parse(await kubectlOk(kubeconfig, ['get', 'nodes', '-o', 'json'])) as {
    items: { metadata: { name: string; labels: Record<string, string> } }[];
  };
  const green = workers.find((w) => w.group === 'green')!;
  expect(nodes.items.find((n) => n.metadata.name === green.id)?.metadata.labels.tier).toBe('green');
  booting = false;
});

it("the workers' own user-data boots during create left the install to create: exit 0, the agent installed and started once", async () => {
  const workers = hosts.filter((h) => h.group !== 'master');
  for (const w of workers) {
    const exit = await waitBooted(manager!, w.id);
    const host = manager!.host(w.id)!;
    const bootLog = readFileSync(hostLog(host, 'boot.log')!, 'utf8');
    process.stderr.write(`cluster e2e: worker ${w.id}: user-data ended in ${exit.seconds.toFixed(1)} s\n`);
    // A boot that reached its marker check while create still ran waited for it; one that got
    // there after create (the runtime and bundle downloads take 10-20 s here) found the host
    // installed. Either way it left the host to create.
    const waited = bootLog.includes('waits for it rather than install the agent at the same time');
    process.stderr.write(
      `cluster e2e: worker ${w.id}: ${waited ? 'waited for create' : 'came after create'}\n`,
    );
    expect(bootLog).toContain('boot left the install to bootstrap and changed nothing');
    expect(bootLog).not.toMatch(/agent installed|WorkerJoinError|FAILED/);
    // Only boot writes the bootstrap token: the agent runs with create's certificate alone.
    expect(existsSync(join(host.layout.root, 'etc/tugboat/pki/bootstrap-token'))).toBe(false);
    const agentLog = readFileSync(hostLog(host, 'tugboat-agent.log')!, 'utf8');
    expect(agentLog.split(`agent for node ${w.id} running`).length - 1, agentLog.slice(-2000)).toBe(1);
    expect(agentLog).not.toContain('restarting in');
  }
  // Create removed its marker: a worker launched from now on joins by itself.
  const aws = await createAwsClients({ env: moto.env });
  expect(await aws.ssm.getSecureString(workerInstallMarkerName(spec.name))).toBeUndefined();
}, 900_000);

it('tugboat bootstrap NAME --force reinstalls every host; then plain bootstrap NAME uploads and restarts nothing', async () => {
  const master = hosts.find((h) => h.group === 'master')!;
  const order = [master.id, ...hosts.filter((h) => h.group !== 'master').map((h) => h.id)];
  const forced = await clock.run('bootstrap --force', () =>
    tugboat<{ hosts: JsonHostAction[] }>('bootstrap', spec.name, '--force'),
  );
  expect(forced.hosts.map((h) => h.host)).toEqual(order);
  for (const h of forced.hosts) {
    expect(h, h.host).toMatchObject({ ok: true, action: 'installed', changed: true });
    // The bundle alone is ~0.75 MB even gzip-compressed: --force sent it again although the host had it.
    expect(h.bytesUploaded, h.host).toBeGreaterThan(500_000);
  }
  const again = await clock.run('bootstrap again', () =>
    tugboat<{ hosts: JsonHostAction[]; kubeconfig: string | null }>('bootstrap', spec.name, '--yes'),
  );
  expect(again.hosts).toEqual(
    order.map((host) => ({
      host,
      ok: true,
      action: 'skipped-ready',
      bytesUploaded: 0,
      changed: false,
      ms: expect.any(Number),
    })),
  );
  expect(again.kubeconfig).toBe(join(dir, '.kube', 'config'));
  const ready = await nodeReadiness(kubeconfig);
  for (const id of order.slice(1)) expect(ready.get(id), id).toBe('True');
});

it('tugboat ssh NAME runs a command on the master or an instance and exits with its code; an unknown id lists the valid ones', async () => {
  const opts = { env, cwd: process.cwd() };
  const ca = readFileSync(join(dir, 'state', spec.name, 'pki', 'ca.crt'), 'utf8');
  const onMaster = await runCli(['ssh', spec.name, '--master', '--', 'cat', '/etc/tugboat/pki/ca.crt'], opts);
  expect(onMaster, onMaster.stderr).toMatchObject({ code: 0, stdout: ca });
  const worker = hosts.find((h) => h.group !== 'master')!;
  const onWorker = await runCli(['ssh', spec.name, worker.id, '--', 'hostname; exit 3'], opts);
  expect(onWorker, onWorker.stderr).toMatchObject({
    code: 3,
    stdout: `ip-${worker.privateIp!.replaceAll('.', '-')}\n`,
  });
  const unknown = await runCli(['ssh', spec.name, 'i-0123456789abcdef0', '--', 'true'], opts);
  expect(unknown.code).toBe(2);
  expect(unknown.stderr).toContain('i-0123456789abcdef0');
  for (const h of hosts) expect(unknown.stderr).toContain(h.id);
});

it('makes every instance a reachable host on its private address, with the key tugboat imported', async () => {
  const ready = await clock.run('hosts', () =>
    manager!.waitFor((h) => h.length === hosts.length, `${hosts.length} hosts`),
  );
  expect(ready.map((h) => h.privateIp).sort()).toEqual(hosts.map((h) => h.privateIp).sort());
  const state = join(dir, 'state', spec.name);
  await clock.run('ssh check', async () => {
    for (const host of ready) {
      // tugboat's own SSH layer, verifying each host key against the cluster's known_hosts.
      const shell = await connectSsh({
        host: host.privateIp,
        username: spec.ssh.user,
        privateKeyPath: join(state, 'id_ed25519'),
        hostKeys: { knownHostsPath: join(state, 'known_hosts') },
        retry: { attempts: 3 },
      });
      try {
        const res = await shell.exec(
          'hostname; docker info --format "{{.Name}}"; test -s /etc/tugboat/pki/ca.crt && echo ca',
        );
        const name = `ip-${host.privateIp.replaceAll('.', '-')}`;
        // The bootstrap put the cluster's certificates under /etc/tugboat/pki.
        expect(res).toMatchObject({ code: 0, stdout: `${name}\n${name}\nca\n` });
        // What tugboat's bootstrap checks first: Linux, Node.js >= 20, a Docker daemon, disk, clock.
        const preflight = await runPreflight(shell, { layout: DEFAULT_HOST_LAYOUT, requireDocker: true });
        expect(preflight.problems).toEqual([]);
      } finally {
        await shell.close();
      }
    }
  });
  const [first, second] = ready;
  const wrong = mkdtempSync(join(dir, 'wrong-'));
  writeFileSync(
    join(wrong, 'known_hosts'),
    `${first!.privateIp} ${second!.knownHostsLine.split(' ').slice(1).join(' ')}\n`,
  );
  await expect(
    connectSsh({
      host: first!.privateIp,
      username: spec.ssh.user,
      privateKeyPath: join(state, 'id_ed25519'),
      hostKeys: { knownHostsPath: join(wrong, 'known_hosts') },
      retry: { attempts: 1 },
    }),
  ).rejects.toThrow(first!.privateIp);
});

it('runs a Deployment of 4 busybox pods and a DaemonSet on real containers; kubectl logs and exec work', async () => {
  const workers = hosts.filter((h) => h.group !== 'master');
  await clock.run('first pods running', async () => {
    await kubectlOk(kubeconfig, ['apply', '-f', '-'], renderWorkloads());
    await waitFor(
      async () => {
        const web = await listPods(kubeconfig, 'app=web');
        const probes = await listPods(kubeconfig, 'app=node-probe');
        return (
          web.filter((p) => p.phase === 'Running' && p.ready).length === 4 &&
          probes.filter((p) => p.phase === 'Running').length === workers.length
        );
      },
      '4 web pods and one probe per worker Running',
      300_000,
    );
  });
  const probes = await listPods(kubeconfig, 'app=node-probe');
  expect(new Set(probes.map((p) => p.node))).toEqual(new Set(workers.map((w) => w.id)));
  let containers = 0;
  for (const w of workers) {
    const list = await manager!.host(w.id)!.docker!.json<unknown[]>('GET', '/containers/json');
    containers += list.length;
  }
  expect(containers).toBeGreaterThanOrEqual(4 + workers.length);
  const [pod] = await listPods(kubeconfig, 'app=web');
  expect(await kubectlOk(kubeconfig, ['logs', pod!.name])).toContain('web up on');
  expect(await kubectlOk(kubeconfig, ['exec', pod!.name, '--', 'echo', 'hello from exec'])).toBe(
    'hello from exec\n',
  );
});

it("stops one worker's agent: its node goes NotReady and its pods come back on the other nodes", async () => {
  const web = await listPods(kubeconfig, 'app=web');
  const counts = new Map<string, number>();
  for (const p of web) if (p.node) counts.set(p.node, (counts.get(p.node) ?? 0) + 1);
  const stopped = [...counts.entries()].sort((a, b) => b[1] - a[1])[0]![0];
  victim = stopped;
  await clock.run('node failure', async () => {
    await withShell(manager!.host(stopped)!.privateIp, (shell) =>
      stopService(shell, 'tugboat-agent', { layout: DEFAULT_HOST_LAYOUT, mode: 'supervised' }),
    );
    await waitFor(
      async () => (await nodeReadiness(kubeconfig)).get(stopped) !== 'True',
      `node ${stopped} NotReady`,
      180_000,
    );
    await waitFor(
      async () => {
        const now = (await listPods(kubeconfig, 'app=web')).filter((p) => !p.deleting);
        return now.length === 4 && now.every((p) => p.node !== stopped && p.phase === 'Running' && p.ready);
      },
      `4 web pods Running away from ${stopped}`,
      300_000,
    );
  });
});

it('tugboat bootstrap NAME bootstraps exactly the node that is not Ready and leaves the rest alone', async () => {
  const stopped = victim!;
  const result = await clock.run('bootstrap the lost node', () =>
    tugboat<{ hosts: JsonHostAction[] }>('bootstrap', spec.name),
  );
  for (const h of result.hosts) {
    expect(h.action, h.host).toBe(h.host === stopped ? 'installed' : 'skipped-ready');
  }
  // The agent was only stopped: its files were all there, so only the service was started again.
  expect(result.hosts.find((h) => h.host === stopped)).toMatchObject({ bytesUploaded: 0, changed: true });
  expect((await nodeReadiness(kubeconfig)).get(stopped)).toBe('True');
});

it('tugboat eip assign gives the workers pool addresses; tugboat status shows them', async () => {
  await clock.run('eip + status', async () => {
    const assigned = await tugboat<{ assigned: unknown[]; alreadyAssigned: string[] }>(
      'eip',
      'assign',
      spec.name,
    );
    const workers = hosts.filter((h) => h.group !== 'master');
    expect(assigned.assigned.length + assigned.alreadyAssigned.length).toBe(workers.length);
    const status = await tugboat<{ stack: { status: string }; hosts: JsonHost[] }>('status', spec.name);
    expect(status.stack.status).toBe('CREATE_COMPLETE');
    for (const w of workers)
      expect(status.hosts.find((h) => h.id === w.id)?.eip?.allocationId).toMatch(/^eipalloc-/);
  });
});

it('tugboat scale adds a worker: its instance becomes a host and scale ends with it a Ready node', async () => {
  booting = true;
  const group = spec.workerGroups.find((g) => g.max > g.desired)!;
  const before = new Set(hosts.map((h) => h.id));
  const scaled = await clock.run('scale + bootstrap', () =>
    tugboat<{ desired: number; bootstrapped: JsonHostAction[] }>(
      'scale',
      spec.name,
      '--group',
      group.name,
      '--desired',
      String(group.desired + 1),
    ),
  );
  const added = scaled.bootstrapped.filter((h) => !before.has(h.host));
  expect(added).toEqual([{ host: expect.stringMatching(/^i-/), ok: true, action: 'installed' }]);
  for (const h of scaled.bootstrapped.filter((b) => before.has(b.host)))
    expect(h.action, h.host).toBe('skipped-ready');
  const ready = await nodeReadiness(kubeconfig);
  expect(ready.get(added[0]!.host)).toBe('True');
  const workers = hosts.filter((h) => h.group !== 'master');
  expect([...ready.values()].filter((v) => v === 'True')).toHaveLength(workers.length + 1);
  booting = false;
  // The added instance ran its user-data while scale installed it: the boot left it to scale.
  const added0 = added[0]!.host;
  await waitBooted(manager!, added0);
  const bootLog = readFileSync(hostLog(manager!.host(added0), 'boot.log')!, 'utf8');
  expect(bootLog).toContain('boot left the install to bootstrap and changed nothing');
  expect(bootLog).not.toContain('agent installed');
});

it('tugboat update raises a worker group: the new instances become hosts, are bootstrapped and are Ready nodes', async () => {
  // The spec as the cluster now stands (scale raised one group) with one more worker in a group
  // that has room; later phases use this spec, as an operator would after an update.
  const doc = parseDocument(readFileSync(specFile, 'utf8'));
  const groups = doc.get('workerGroups') as {
    items: { get(k: string): unknown; set(k: string, v: number): void }[];
  };
  const status = await tugboat<{ groups: { name: string; desired: number }[] }>('status', spec.name);
  let raised: string | undefined;
  for (const g of groups.items) {
    const name = String(g.get('name'));
    const desired = status.groups.find((x) => x.name === name)?.desired ?? Number(g.get('desired'));
    g.set('desired', desired);
    if (!raised && desired < Number(g.get('max'))) {
      g.set('desired', desired + 1);
      raised = name;
    }
  }
  expect(raised, 'a worker group with room for one more').toBeDefined();
  specFile = join(dir, 'e2e-updated.yaml');
  writeFileSync(specFile, doc.toString());
  const before = new Set(manager!.hosts().map((h) => h.instanceId));
  const updated = await clock.run('update + bootstrap', () =>
    tugboat<{ action: string; bootstrapped: JsonHostAction[] }>('update', '-f', specFile, '--yes'),
  );
  expect(updated.action).toBe('updated');
  const added = updated.bootstrapped.filter((h) => !before.has(h.host));
  expect(added.length).toBeGreaterThan(0);
  for (const h of added) expect(h, h.host).toMatchObject({ ok: true, action: 'installed' });
  const ready = await nodeReadiness(kubeconfig);
  for (const h of added) expect(ready.get(h.host), h.host).toBe('True');
  const after = await tugboat<{ groups: { name: string; desired: number; inService?: number }[] }>(
    'status',
    spec.name,
  );
  expect(after.groups.find((g) => g.name === raised)?.desired).toBe(
    Number(groups.items.find((g) => g.get('name') === raised)?.get('desired')),
  );
});

it('tugboat uninstall NAME wants --yes without a terminal, then leaves no tugboat process, container, file, link, route or rule on any host, and Docker rules as they were', async () => {
  const refused = await runCli(['uninstall', spec.name], { env, cwd: process.cwd() });
  expect(refused.code).toBe(2);
  expect(refused.stderr).toContain('pass --yes');
  const up = manager!.hosts();
  const removed = await clock.run('uninstall', () =>
    tugboat<{ hosts: { host: string; ok: boolean; containersRemoved?: number }[] }>(
      'uninstall',
      spec.name,
      '--yes',
    ),
  );
  expect(removed.hosts.map((h) => h.host).sort()).toEqual(up.map((h) => h.instanceId).sort());
  for (const h of removed.hosts) expect(h.ok, h.host).toBe(true);
  // The pods ran on the workers: their containers went with the agent.
  expect(removed.hosts.reduce((n, h) => n + (h.containersRemoved ?? 0), 0)).toBeGreaterThan(0);
  for (const host of up) expect(await tugboatLeftovers(host, withShell), host.instanceId).toEqual([]);
});

it('tugboat create -f on the uninstalled cluster finishes what is missing: every host installed again, every node Ready', async () => {
  const created = await clock.run('create again (CLI)', () =>
    tugboat<{ stackAction: string; bootstrapped: boolean; kubeconfig: string | null; hosts: JsonHost[] }>(
      'create',
      '-f',
      specFile,
    ),
  );
  expect(created.stackAction).toBe('exists');
  expect(created.bootstrapped).toBe(true);
  // The CLI merges into $HOME/.kube/config, the same file the library run was told to use.
  expect(created.kubeconfig).toBe(join(dir, '.kube', 'config'));
  expect(created.hosts.map((h) => h.id).sort()).toEqual(
    manager!
      .hosts()
      .map((h) => h.instanceId)
      .sort(),
  );
  const ready = await nodeReadiness(kubeconfig);
  for (const h of created.hosts.filter((x) => x.group !== 'master'))
    expect(ready.get(h.id), h.id).toBe('True');
});

it('tugboat delete --yes leaves nothing tagged; the harness removes every host and proves it', async () => {
  const deleted = await clock.run('delete', () => tugboat<{ clean: boolean }>('delete', spec.name, '--yes'));
  expect(deleted.clean).toBe(true);
  expect(await describeTagged(moto.env, spec.name)).toEqual([]);
  await clock.run('hosts down', async () => {
    await manager!.waitFor((h) => h.length === 0, 'no hosts after delete', 120_000);
    await manager!.stop();
    manager = undefined;
  });
  expect(run('ip', ['netns', 'list']).trim()).toBe('');
});
