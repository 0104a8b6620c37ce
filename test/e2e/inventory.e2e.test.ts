import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_HOST_LAYOUT } from '../../src/bootstrap/layout.js';
import { NODE_RUNTIME, runtimePaths } from '../../src/bootstrap/node-runtime.js';
import { isAlive } from '../harness/hosts/host-processes.js';
import { run } from '../harness/hosts/shell.js';
import type { SimHost } from '../harness/hosts/sim-host.js';
import { sshExec } from '../harness/hosts/ssh-exec.js';
import { runCli } from '../support/cli.js';
import { seedRuntimeCache } from '../support/node-runtime.js';
import { waitFor } from '../support/wait.js';
import { hostLogTails } from './host-logs.js';
import { kubectl, nodeReadiness } from './kubectl.js';
import { findSecrets, secretsOf } from './secrets.js';
import { type SimFleet, startSimFleet } from './sim-fleet.js';

// Issue 7's acceptance with real machines: three hosts (m1 master, w1 and w2 workers, each with
// its own dockerd) and a fourth (w3) that refuses our key, each a network namespace with its own
// address on a test bridge, copy-on-write copies of /etc, /opt, /var/lib and /var/log in which
// tugboat's directories do not exist yet, its own /run, /tmp and PID namespace, and sshd. Only the
// real CLI acts on them: `tugboat bootstrap --inventory` and `tugboat uninstall --inventory`.
const IPS = { m1: '10.78.1.10', w1: '10.78.1.11', w2: '10.78.1.12', w3: '10.78.1.13' } as const;
type HostName = keyof typeof IPS;
const TUGBOAT_PATHS = [
  '/opt/tugboat',
  '/etc/tugboat',
  '/var/lib/tugboat',
  '/var/log/tugboat',
  '/run/tugboat',
  '/etc/systemd/system/tugboat-control-plane.service',
  '/etc/systemd/system/tugboat-agent.service',
];

let dir: string;
let fleet: SimFleet | undefined;
let env: NodeJS.ProcessEnv;
let privateKey: string;
let kubeconfig: string;
let inventoryFile: string;
/** The host key each host serves now (w2 gets a new one on purpose). */
const hostKeys = new Map<string, string>();
/** Processes each host ran before tugboat touched it (sshd, dockerd, containerd). */
const baseline = new Map<string, Set<number>>();
/** Everything tugboat printed: stdout and stderr (its rendered events) of every run. */
const captured: string[] = [];

const host = (name: HostName): SimHost => {
  const h = fleet?.hosts.get(name);
  if (!h) throw new Error(`host ${name} is not up`);
  return h;
};

/** Runs a command on a host through its own sshd, so it sees the host's mounts and processes. */
async function onHost(name: HostName, command: string): Promise<string> {
  const h = host(name);
  const target = { host: h.privateIp, user: 'ec2-user', privateKey, hostPublicKey: hostKeys.get(name) ?? '' };
  const res = await sshExec(target, command);
  if (res.code !== 0) throw new Error(`${name}: ${command} failed (exit ${res.code}): ${res.stderr}`);
  return res.stdout;
}

/** Which of tugboat's paths exist on a host, as the host itself sees them. */
const tugboatPathsOn = async (name: HostName) =>
  (await onHost(name, `for p in ${TUGBOAT_PATHS.join(' ')}; do [ -e "$p" ] && echo "$p"; done; true`))
    .split('\n')
    .filter(Boolean);

async function tugboat(...argv: string[]) {
  const res = await runCli(['--debug', ...argv], { env, cwd: dir });
  captured.push(res.stdout, res.stderr);
  return res;
}

interface HostJson {
  host: string;
  ok: boolean;
  bytesUploaded?: number;
  changed?: boolean;
  error?: string;
}

async function bootstrap(file: string): Promise<{ code: number; hosts: HostJson[]; stderr: string }> {
  const res = await tugboat('-o', 'json', 'bootstrap', '--inventory', file, '--trust-new-hosts', '--yes');
  const parsed = JSON.parse(res.stdout || '{"hosts":[]}') as { hosts: HostJson[] };
  return { code: res.code, hosts: parsed.hosts, stderr: res.stderr };
}

function inventoryText(names: readonly HostName[]): string {
  return [
    'cluster: lab',
    `ssh: { user: ec2-user, privateKeyFile: ${join(dir, 'keys', 'id')} }`,
    'runtime: docker',
    'hosts:',
    ...names.map((n) => `  - { name: ${n}, address: ${IPS[n]}, role: ${n === 'm1' ? 'master' : 'worker'} }`),
    '',
  ].join('\n');
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), `tugboat-e2e-inventory-${process.pid}-`));
  run('mkdir', ['-p', join(dir, 'keys')]);
  run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'operator', '-f', join(dir, 'keys', 'id')]);
  run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'stranger', '-f', join(dir, 'keys', 'other')]);
  privateKey = readFileSync(join(dir, 'keys', 'id'), 'utf8');
  const ours = readFileSync(join(dir, 'keys', 'id.pub'), 'utf8').trim();
  const theirs = readFileSync(join(dir, 'keys', 'other.pub'), 'utf8').trim();
  fleet = await startSimFleet({
    cidr: '10.78.1.0/24',
    hosts: [
      { name: 'm1', privateIp: IPS.m1, authorizedKeys: [ours] },
      { name: 'w1', privateIp: IPS.w1, authorizedKeys: [ours], docker: true },
      { name: 'w2', privateIp: IPS.w2, authorizedKeys: [ours], docker: true },
      { name: 'w3', privateIp: IPS.w3, authorizedKeys: [theirs] },
    ],
    // Issue 16: hosts with nothing preinstalled but sshd (and Docker): no Node.js at all.
    withoutNode: true,
  });
  for (const [name, h] of fleet.hosts) {
    hostKeys.set(name, h.hostPublicKey);
    baseline.set(name, new Set(h.processes()));
  }
  inventoryFile = join(dir, 'hosts.yaml');
  writeFileSync(inventoryFile, inventoryText(['m1', 'w1', 'w2']));
  kubeconfig = join(dir, 'kube', 'config');
  env = { ...process.env, HOME: dir, TUGBOAT_STATE_DIR: join(dir, 'state'), KUBECONFIG: kubeconfig };
  // The pinned runtime's tarball as setup.sh cached it: the CLI finds it and fetches nothing.
  seedRuntimeCache(join(dir, 'state'));
});

/** Where the pinned runtime's node lives on a host. */
const RUNTIME_NODE = runtimePaths(DEFAULT_HOST_LAYOUT, NODE_RUNTIME.version).node;

afterEach(async (context) => {
  if (context.task.result?.state !== 'fail' || !fleet) return;
  process.stderr.write(`${hostLogTails([...fleet.hosts.values()])}\n${captured.slice(-2).join('\n')}\n`);
});

afterAll(async () => {
  await fleet?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('tugboat bootstrap --inventory on three hosts in their own namespaces', () => {
  it('starts from hosts without any tugboat directory', async () => {
    for (const name of ['m1', 'w1', 'w2'] as const) expect(await tugboatPathsOn(name)).toEqual([]);
    // Each host sees only its own processes: its sshd is its PID 1.
    expect((await onHost('m1', 'cat /proc/1/comm')).trim()).toBe('sshd');
  });

  it('starts from hosts with no Node.js installed at all', async () => {
    for (const name of ['m1', 'w1', 'w2'] as const) {
      // bash's `command -v` (which finds even a non-executable file) and a listing: nothing.
      const found = await onHost(
        name,
        'bash -c \'command -v node nodejs node-24 node-22 node-20; ls /usr/bin /usr/local/bin /bin | grep -E "^node(js)?(-[0-9]+)?$"; true\'',
      );
      expect(found.trim(), name).toBe('');
    }
    // The machine itself has one, so this proves the hosts do not see it.
    expect(run('sh', ['-c', 'command -v node']).trim()).not.toBe('');
  });

  it('brings up the control plane and two Ready nodes that real kubectl sees', async () => {
    const res = await bootstrap(inventoryFile);
    expect(res.code, res.stderr).toBe(0);
    expect(res.hosts.map((h) => [h.host, h.ok, h.changed])).toEqual([
      ['m1', true, true],
      ['w1', true, true],
      ['w2', true, true],
    ]);
    // The bundle (about 2.9 MB) travels gzip-compressed: about 0.75 MB per host.
    for (const h of res.hosts) expect(h.bytesUploaded).toBeGreaterThan(300_000);
    const ready = await nodeReadiness(kubeconfig);
    expect(Object.fromEntries(ready)).toEqual({ w1: 'True', w2: 'True' });
    const wide = await kubectl(kubeconfig, ['get', 'nodes', '-o', 'wide', '--no-headers']);
    expect(wide.stdout).toMatch(new RegExp(`^w1\\s+Ready.*${IPS.w1.replaceAll('.', '\\.')}`, 'm'));
    // Every host has its own copy: the CA is on m1's /etc/tugboat; nothing reached the machine's.
    expect(await onHost('m1', 'ls /etc/tugboat/pki')).toContain('ca.crt');
    expect(await onHost('w1', 'ls /etc/tugboat')).not.toContain('control-plane');
    // Every host got tugboat's pinned Node.js (52 MB on top of the bundle) and its service runs it.
    for (const h of res.hosts) expect(h.bytesUploaded).toBeGreaterThan(40_000_000);
    for (const name of ['m1', 'w1', 'w2'] as const) {
      expect((await onHost(name, `${RUNTIME_NODE} --version`)).trim()).toBe(`v${NODE_RUNTIME.version}`);
      const services = (await onHost(name, 'ps -eo args'))
        .split('\n')
        .filter((l) => l.includes('/opt/tugboat/bundles/'));
      expect(services.length, name).toBeGreaterThan(0);
      for (const s of services) expect(s.startsWith(`${RUNTIME_NODE} `), s).toBe(true);
    }
  });

  it('running it again changes nothing and uploads nothing', async () => {
    const res = await bootstrap(inventoryFile);
    expect(res.code, res.stderr).toBe(0);
    expect(res.hosts.map((h) => [h.host, h.ok, h.bytesUploaded, h.changed])).toEqual([
      ['m1', true, 0, false],
      ['w1', true, 0, false],
      ['w2', true, 0, false],
    ]);
    expect(Object.fromEntries(await nodeReadiness(kubeconfig))).toEqual({ w1: 'True', w2: 'True' });
  });

  it('rejects a changed host key and a refused login, naming the hosts, while the others finish', async () => {
    hostKeys.set('w2', await host('w2').rotateHostKey());
    const file = join(dir, 'hosts-with-w3.yaml');
    writeFileSync(file, inventoryText(['m1', 'w1', 'w2', 'w3']));
    const res = await bootstrap(file);
    expect(res.code).toBe(4);
    const byHost = new Map(res.hosts.map((h) => [h.host, h]));
    expect(byHost.get('m1')).toMatchObject({ ok: true, bytesUploaded: 0 });
    expect(byHost.get('w1')).toMatchObject({ ok: true, bytesUploaded: 0 });
    expect(byHost.get('w2')?.ok).toBe(false);
    expect(byHost.get('w2')?.error).toContain(`host key of ${IPS.w2} changed`);
    expect(byHost.get('w3')?.ok).toBe(false);
    expect(byHost.get('w3')?.error).toMatch(/ec2-user@w3 refused our key/);
    expect(res.stderr).toMatch(/w3 refused our key/);
    // Nothing was installed on the host that refused us, and w2 (not reached) still runs.
    expect(statSync(join(host('w3').layout.root, 'etc/tugboat')).isCharacterDevice()).toBe(true);
    expect(Object.fromEntries(await nodeReadiness(kubeconfig))).toEqual({ w1: 'True', w2: 'True' });
  });

  it('no CA key, client key or SSH key appears in output, events, host logs or command lines', async () => {
    const secrets = secretsOf([join(dir, 'state'), join(dir, 'keys'), kubeconfig]);
    // The CA key, the admin and node client keys, the serving keys, the SSH key, and the
    // kubeconfig's base64 client key: all must be known, or the grep below proves little.
    expect(secrets.length).toBeGreaterThanOrEqual(8);
    const caKey = readFileSync(join(dir, 'state', 'lab', 'pki', 'ca.key'), 'utf8');
    expect(findSecrets(`log: ${caKey}`, secrets)).toEqual([join(dir, 'state', 'lab', 'pki', 'ca.key')]);
    const hostLogs: string[] = [];
    const commandLines: string[] = [];
    for (const name of ['m1', 'w1', 'w2'] as const) {
      const logDir = join(host(name).layout.root, 'var/log/tugboat');
      const files = readdirSync(logDir);
      expect(files.length, `${name} has logs`).toBeGreaterThan(0);
      for (const f of files) hostLogs.push(readFileSync(join(logDir, f), 'utf8'));
      for (const pid of host(name).processes()) {
        commandLines.push(readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' '));
      }
    }
    // The services really run and were seen (the agents' and the control plane's node processes).
    expect(commandLines.filter((c) => c.includes('/opt/tugboat/')).length).toBeGreaterThanOrEqual(3);
    expect(captured.join('\n')).not.toContain('PRIVATE KEY');
    expect(findSecrets(captured.join('\n'), secrets)).toEqual([]);
    expect(findSecrets(hostLogs.join('\n'), secrets)).toEqual([]);
    expect(findSecrets(commandLines.join('\n'), secrets)).toEqual([]);
  });

  it('tugboat uninstall leaves no process, service or file behind on any host', async () => {
    // The operator checked w2's new key: drop the old one so uninstall may record it.
    const knownHosts = join(dir, 'state', 'lab', 'known_hosts');
    run('ssh-keygen', ['-R', IPS.w2, '-f', knownHosts]);
    const res = await tugboat(
      '-o',
      'json',
      'uninstall',
      '--inventory',
      inventoryFile,
      '--trust-new-hosts',
      '--yes',
    );
    expect(res.code, res.stderr).toBe(0);
    const hosts = (JSON.parse(res.stdout) as { hosts: HostJson[] }).hosts;
    expect(hosts.map((h) => [h.host, h.ok])).toEqual([
      ['m1', true],
      ['w1', true],
      ['w2', true],
    ]);
    for (const name of ['m1', 'w1', 'w2'] as const) {
      expect(await tugboatPathsOn(name), name).toEqual([]);
      // Only what ran before bootstrap is left (SSH sessions that just closed may take a moment).
      const before = baseline.get(name) ?? new Set();
      const extra = () =>
        host(name)
          .processes()
          .filter((p) => !before.has(p) && isAlive(p));
      await waitFor(() => extra().length === 0, `${name}: no process but its sshd and dockerd`).catch(() => {
        const left = extra().map((p) => `${p}: ${readFileSync(`/proc/${p}/cmdline`, 'utf8')}`);
        throw new Error(`${name} still runs: ${left.join('; ')}`);
      });
    }
  });
});
