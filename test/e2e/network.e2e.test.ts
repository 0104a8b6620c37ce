import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { describeTagged } from '../support/tagged-resources.js';
import { waitFor } from '../support/wait.js';
import { type CliCluster, startCliCluster } from './cli-cluster.js';
import { reportFailure, tearDown } from './e2e-teardown.js';
import { kubectlOk, nodeReadiness } from './kubectl.js';
import { renderNetworkWorkloads } from './network-workloads.js';

// The cluster network across hosts (issue #12): examples/e2e.yaml (two workers, each with its own
// dockerd, on the pod network by default), `web` behind a ClusterIP, a NodePort and a headless
// Service, and a client pod on the green worker. Requests by Service name reach pods on both
// workers; pods reach each other by IP across workers; the runner reaches the NodePort on every
// worker; an endpoint that goes unready leaves the rotation.
const specFile = 'examples/e2e.yaml';
const cluster = 'e2e';
let h: CliCluster;
let kubeconfig: string;
let workers: { id: string; group: string; privateIp: string }[] = [];

interface WebPod {
  name: string;
  node: string;
  ip: string;
}

/** Runs a shell line in the client pod; its stdout. */
const inClient = (script: string) => kubectlOk(kubeconfig, ['exec', 'client', '--', 'sh', '-c', script]);

/**
 * `n` HTTP requests to `ip:port` from the client pod: the answers (pod names), FAILED for one that
 * got none. With busybox `nc`: the static busybox's `wget` crashes (SIGSEGV, exit 139) in glibc's
 * NSS inside an image without glibc's shared libraries.
 */
async function answersFrom(ip: string, port: number, n: number): Promise<string[]> {
  const get = `printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 2 ${ip} ${port} | tail -n 1`;
  const out = await inClient(`for i in $(seq ${n}); do a=$(${get}); echo "\${a:-FAILED}"; done`);
  return out.split('\n').filter((l) => l.length > 0);
}

/** What busybox nslookup in the client pod gives for `name` (its own resolver, the pod's resolv.conf). */
async function lookup(name: string): Promise<string[]> {
  const out = await inClient(`nslookup ${name} 2>&1; true`);
  const answer = out
    .split(/\n\s*\n/)
    .slice(1)
    .join('\n');
  return [...answer.matchAll(/Address(?: \d+)?:\s*([0-9.]+)/g)].map((m) => m[1] ?? '');
}

async function clusterIpOf(service: string): Promise<string> {
  const svc = JSON.parse(await kubectlOk(kubeconfig, ['get', 'service', service, '-o', 'json'])) as {
    spec: { clusterIP: string };
  };
  return svc.spec.clusterIP;
}

async function webPods(): Promise<WebPod[]> {
  const out = await kubectlOk(kubeconfig, ['get', 'pods', '-l', 'app=web', '-o', 'json']);
  const items = (
    JSON.parse(out) as {
      items: {
        metadata: { name: string; deletionTimestamp?: string };
        spec: { nodeName?: string };
        status?: { podIP?: string; conditions?: { type: string; status: string }[] };
      }[];
    }
  ).items;
  return items
    .filter(
      (p) =>
        !p.metadata.deletionTimestamp &&
        p.status?.podIP &&
        p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
    )
    .map((p) => ({ name: p.metadata.name, node: p.spec.nodeName ?? '', ip: p.status?.podIP ?? '' }));
}

beforeAll(async () => {
  h = await startCliCluster(cluster, 'net');
  kubeconfig = h.kubeconfig;
});

afterEach((context) => reportFailure(context.task.result?.state, h?.manager, kubeconfig));

afterAll(() => tearDown(h?.manager, h?.moto, h?.dir));

it('tugboat create: two workers Ready; web (4 pods over both workers), its Services and a client pod up', async () => {
  const created = await h.tugboat<{ hosts: { id: string; group: string; privateIp: string }[] }>(
    'create',
    '-f',
    specFile,
    '--yes',
  );
  workers = created.hosts.filter((h) => h.group !== 'master');
  expect(workers).toHaveLength(2);
  const ready = await nodeReadiness(kubeconfig);
  for (const w of workers) expect(ready.get(w.id), w.id).toBe('True');
  await kubectlOk(kubeconfig, ['apply', '-f', '-'], renderNetworkWorkloads());
  const pods = await waitFor(
    async () => {
      const up = await webPods();
      return up.length === 4 ? up : undefined;
    },
    '4 web pods Ready',
    180_000,
    1_000,
  );
  expect(new Set(pods.map((p) => p.node))).toEqual(new Set(workers.map((w) => w.id)));
  await waitFor(async () => (await inClient('echo up')).trim() === 'up', 'the client pod', 120_000, 1_000);
});

it('web and its full name resolve to the cluster IP, and 100 requests to it reach pods on both workers', async () => {
  const pods = await webPods();
  const ip = await clusterIpOf('web');
  expect(await lookup('web.default.svc.cluster.local')).toEqual([ip]);
  expect(await lookup('web')).toEqual([ip]);
  const answers = await answersFrom(ip, 80, 100);
  expect(answers.filter((a) => a === 'FAILED')).toEqual([]);
  const nodes = new Set(answers.map((a) => pods.find((p) => p.name === a)?.node));
  expect(nodes).toEqual(new Set(workers.map((w) => w.id)));
});

it('pods reach each other by IP across workers, and the headless Service resolves to the pod IPs', async () => {
  const pods = await webPods();
  const green = workers.find((w) => w.group === 'green')!;
  const remote = pods.find((p) => p.node !== green.id)!;
  expect(await answersFrom(remote.ip, 8080, 1)).toEqual([remote.name]);
  expect((await lookup('web-headless.default.svc.cluster.local')).sort()).toEqual(
    pods.map((p) => p.ip).sort(),
  );
});

it('the runner reaches the NodePort on every worker', async () => {
  const svc = JSON.parse(await kubectlOk(kubeconfig, ['get', 'service', 'web-np', '-o', 'json'])) as {
    spec: { ports: { nodePort: number }[] };
  };
  const nodePort = svc.spec.ports[0]!.nodePort;
  const names = new Set((await webPods()).map((p) => p.name));
  for (const w of workers) {
    const res = await fetch(`http://${w.privateIp}:${nodePort}/`, { signal: AbortSignal.timeout(5_000) });
    expect(res.status, w.id).toBe(200);
    expect(names.has((await res.text()).trim()), w.id).toBe(true);
  }
});

it('a pod whose readiness fails leaves the rotation', async () => {
  const [victim] = await webPods();
  const ip = await clusterIpOf('web');
  await kubectlOk(kubeconfig, ['exec', victim!.name, '--', 'rm', '/www/ready']);
  const started = Date.now();
  await waitFor(
    async () => {
      const answers = await answersFrom(ip, 80, 20);
      return answers.length === 20 && !answers.includes(victim!.name) && !answers.includes('FAILED');
    },
    `${victim!.name} out of the rotation`,
    60_000,
    100,
  );
  process.stderr.write(`network e2e: unready endpoint out of rotation after ${Date.now() - started} ms\n`);
});

it('tugboat delete --yes leaves nothing tagged', async () => {
  const deleted = await h.tugboat<{ clean: boolean }>('delete', cluster, '--yes');
  expect(deleted.clean).toBe(true);
  expect(await describeTagged(h.moto.env, cluster)).toEqual([]);
  await h.manager!.waitFor((hosts) => hosts.length === 0, 'no hosts after delete', 120_000);
});
