import { execFile } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { isRunning } from '../../src/local/processes.js';
import { readLocalState } from '../../src/local/state.js';
import { waitFor } from '../support/wait.js';
import { kubectlOk } from './kubectl.js';
import {
  type LocalDockerd,
  type NetworkSnapshot,
  networkSnapshot,
  renderLocalWorkloads,
  startLocalDockerd,
  tugboatLeftovers,
} from './local-docker.js';
import { networkProbes } from './network-probes.js';
import { renderHostPortPod } from './network-workloads.js';

// `tugboat local up --runtime docker` on the pod network (issue #12): run inside the suite's
// confined network namespace with a dockerd of its own (Docker's default networking and iptables
// rules), two local nodes get their pod CIDRs and a bridge each; a Deployment of 2 HTTP pods
// spread over both nodes, a ClusterIP and a NodePort Service, and a client pod on local-2: the
// client resolves `web` and `web.default.svc.cluster.local` through the cluster DNS, reaches the
// ClusterIP (answers from pods on both nodes), the name and a pod on the other node by its IP;
// the runner reaches the NodePort on 127.0.0.1, and a hostPort of a pod on local-2 (that agent's
// own host-port chain) on 127.0.0.1. `local down` leaves the namespace's links,
// routes and iptables rules exactly as they were before `local up` (Docker's included).
const runId = process.env.TUGBOAT_E2E_RUN_ID ?? String(process.pid);
const dir = `/var/tmp/tugboat-e2e-${runId}-localdocker`;
const cgroupParent = `tugboat-e2e-${runId}-localdocker`;
const kubeconfig = join(dir, 'kubeconfig');
let dockerd: LocalDockerd | undefined;
let env: NodeJS.ProcessEnv;
let before: NetworkSnapshot;
/** The suite's namespace before this file's dockerd started. */
let pristine: NetworkSnapshot;
let up = false;

const probe = () => networkProbes(kubeconfig);

/** `node bin/tugboat.js ARGS` with the test's HOME, state dir and Docker socket; its stdout. */
function tugboat(...args: string[]): Promise<string> {
  return tugboatWith({}, ...args);
}

/** {@link tugboat} with more environment variables. */
function tugboatWith(more: NodeJS.ProcessEnv, ...args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['bin/tugboat.js', ...args],
      { env: { ...env, ...more }, encoding: 'utf8', timeout: 300_000 },
      (err, stdout, stderr) =>
        err
          ? reject(new Error(`tugboat ${args.join(' ')} failed: ${err.message}\n${stderr}`))
          : resolve(stdout),
    );
  });
}

/** GET http://127.0.0.1:PORT/ from the runner; the body, trimmed. */
function getLocal(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/', timeout: 5_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        body += c;
      });
      res.on('end', () => resolve(body.trim()));
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end();
  });
}

async function podIp(name: string): Promise<string> {
  return (await kubectlOk(kubeconfig, ['get', 'pod', name, '-o', 'jsonpath={.status.podIP}'])).trim();
}

beforeAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'home'), { recursive: true });
  pristine = networkSnapshot();
  dockerd = await startLocalDockerd(join(dir, 'docker'), cgroupParent);
  env = {
    ...process.env,
    HOME: join(dir, 'home'),
    TUGBOAT_STATE_DIR: join(dir, 'state'),
    TUGBOAT_HOME: undefined,
    KUBECONFIG: kubeconfig,
    DOCKER_HOST: `unix://${dockerd.socketPath}`,
    CI: 'true',
  };
  before = networkSnapshot();
});

afterAll(async () => {
  try {
    if (up) await tugboat('local', 'down').catch(() => '');
  } finally {
    await dockerd?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

it('local up --runtime docker --nodes 2: pod CIDRs, a bridge per node, web and a client on the pod network', async () => {
  expect(tugboatLeftovers(before)).toEqual([]);
  expect(before.rules.some((r) => /DOCKER/.test(r))).toBe(true);
  up = true;
  const out = await tugboat('local', 'up', '--runtime', 'docker', '--nodes', '2', '--kubeconfig', kubeconfig);
  expect(out).toContain('pod network: 10.244.0.0/16 (bridges tugboat-l1, tugboat-l2)');
  // A second local cluster (another state directory) would fight over the bridges: refused.
  const second = await tugboatWith(
    { TUGBOAT_STATE_DIR: join(dir, 'state-2') },
    'local',
    'up',
    '--runtime',
    'docker',
  )
    .then(() => 'started')
    .catch((err: Error) => err.message);
  expect(second).toContain('the local pod range 10.244.0.0/16 overlaps routes on this machine (10.244.');
  expect(second).toContain('dev tugboat-l');

  const nodes = JSON.parse(await kubectlOk(kubeconfig, ['get', 'nodes', '-o', 'json'])) as {
    items: { metadata: { name: string }; spec: { podCIDR?: string } }[];
  };
  const cidrs = Object.fromEntries(nodes.items.map((n) => [n.metadata.name, n.spec.podCIDR]));
  expect(cidrs['local-1']).toMatch(/^10\.244\.\d+\.0\/24$/);
  expect(cidrs['local-2']).toMatch(/^10\.244\.\d+\.0\/24$/);
  expect(cidrs['local-1']).not.toBe(cidrs['local-2']);

  await kubectlOk(kubeconfig, ['apply', '-f', '-'], renderLocalWorkloads('local-2'));
  await waitFor(async () => (await probe().webPods()).length === 2, '2 ready web pods', 180_000, 1_000);
  await kubectlOk(kubeconfig, ['wait', '--for=condition=Ready', 'pod/client', '--timeout=180s']);

  const pods = await probe().webPods();
  expect(new Set(pods.map((p) => p.node))).toEqual(new Set(['local-1', 'local-2']));
  for (const p of pods) {
    const block = (cidrs[p.node] ?? '').replace(/0\/24$/, '');
    expect(p.ip.startsWith(block), `${p.name} ${p.ip} in ${cidrs[p.node]}`).toBe(true);
  }
  // Each node's bridge holds its block's gateway.
  for (const [n, bridge] of [
    ['local-1', 'tugboat-l1'],
    ['local-2', 'tugboat-l2'],
  ] as const) {
    const gw = (cidrs[n] ?? '').replace(/0\/24$/, '1/24');
    expect(networkSnapshot().links).toContain(bridge);
    expect(
      await new Promise<string>((r) => execFile('ip', ['-o', 'addr', 'show', bridge], (_, o) => r(o))),
    ).toContain(gw);
  }
});

it('the client resolves web by the cluster DNS and reaches the ClusterIP, the name and a pod on the other node', async () => {
  const ip = await probe().clusterIpOf('web');
  expect(ip).toMatch(/^10\.(9[6-9]|10[0-9]|11[01])\./);
  expect(await probe().lookup('web.default.svc.cluster.local')).toEqual([ip]);
  expect(await probe().lookup('web')).toEqual([ip]);

  const answers = await probe().answersFrom(ip, 80, 30);
  const names = (await probe().webPods()).map((p) => p.name).sort();
  expect(answers.filter((a) => a === 'FAILED')).toEqual([]);
  expect([...new Set(answers)].sort()).toEqual(names);

  // http://web: the pod's own resolver (resolv.conf search path) turns the name into the address.
  const byName = await probe().inClient(
    `a=$(nslookup web | sed -n 's/^Address[^:]*: *\\(10\\.[0-9.]*\\)$/\\1/p' | tail -n 1); printf 'GET / HTTP/1.0\\r\\nHost: web\\r\\n\\r\\n' | nc -w 2 "$a" 80 | tail -n 1`,
  );
  expect(names).toContain(byName.trim());

  const remote = (await probe().webPods()).find((p) => p.node === 'local-1');
  expect(remote).toBeDefined();
  expect(await probe().answersFrom(remote!.ip, 8080, 1)).toEqual([remote!.name]);
});

it('the NodePort answers on 127.0.0.1 from the runner, from pods on both nodes', async () => {
  const port = await probe().nodePortOf('web-np');
  const names = (await probe().webPods()).map((p) => p.name).sort();
  const seen = new Set<string>();
  for (let i = 0; i < 40 && seen.size < names.length; i++) seen.add(await getLocal(port));
  expect([...seen].sort()).toEqual(names);
});

it("a hostPort on local-2 (its agent's own host-port chain) answers on 127.0.0.1", async () => {
  const pod = parse(renderHostPortPod('hp')) as { spec: Record<string, unknown> };
  delete pod.spec.affinity;
  pod.spec.nodeName = 'local-2';
  await kubectlOk(kubeconfig, ['apply', '-f', '-'], stringify(pod));
  await kubectlOk(kubeconfig, ['wait', '--for=condition=Ready', 'pod/hp', '--timeout=180s']);
  expect(
    await waitFor(() => getLocal(18080).catch(() => undefined), 'hostPort 18080 answering', 60_000, 500),
  ).toBe('hp');
  const ip = await podIp('hp');
  expect(networkSnapshot().rules).toContain(
    `-A TUGBOAT-HP-TUGBOAT-L2 -p tcp -m tcp --dport 18080 -m comment --comment "default/hp hostPort 18080" -j DNAT --to-destination ${ip}:8080`,
  );
});

it('local down stops everything and leaves the links, routes and rules as before (Docker’s included)', async () => {
  const state = readLocalState(join(dir, 'state', 'local'));
  const pids = [state?.controlPlane.pid ?? 0, ...(state?.nodes.map((n) => n.pid) ?? [])];
  expect(pids.every((p) => p > 0 && isRunning(p))).toBe(true);
  expect((await dockerd!.containers()).length).toBeGreaterThan(0);
  await tugboat('local', 'down');
  up = false;
  for (const pid of pids) expect(isRunning(pid), `pid ${pid}`).toBe(false);
  expect(await dockerd!.containers()).toEqual([]);
  const after = networkSnapshot();
  expect(tugboatLeftovers(after)).toEqual([]);
  expect(after.links).toEqual(before.links);
  expect(after.routes).toEqual(before.routes);
  expect(after.rules).toEqual(before.rules);
});

it("stopping the test's dockerd gives the suite's namespace back as it was (no docker0, no DOCKER chains)", async () => {
  const stopping = dockerd;
  dockerd = undefined;
  await stopping?.stop();
  const now = networkSnapshot();
  expect(now.links).toEqual(pristine.links);
  expect(now.routes).toEqual(pristine.routes);
  // A table once loaded stays loaded (empty, built-in chains ACCEPT): that is the same firewall.
  const effective = (rules: string[]) =>
    rules.filter((l) => l.startsWith('-') || (l.startsWith(':') && !/ ACCEPT$/.test(l)));
  expect(effective(now.rules)).toEqual(effective(pristine.rules));
  expect(now.rules.some((r) => /DOCKER/.test(r))).toBe(false);
});
