import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { describeTagged } from '../support/tagged-resources.js';
import { waitFor } from '../support/wait.js';
import { type CliCluster, startCliCluster } from './cli-cluster.js';
import { reportFailure, tearDown } from './e2e-teardown.js';
import { kubectlOk, nodeReadiness } from './kubectl.js';
import {
  agentPid,
  duplicatedRules,
  ruleEndpoints,
  withHostShell,
  withPortForward,
} from './network-checks.js';
import { checkDnsFromPod } from './network-dns-load.js';
import { type NetworkProbes, networkProbes } from './network-probes.js';
import { checkStatefulSetAcceptance } from './network-statefulset.js';
import { checkTcpAcrossAgentKills } from './network-tcp-check.js';
import { renderHostPortPod, renderNetworkWorkloads } from './network-workloads.js';

// The cluster network across hosts (issue #12): examples/e2e.yaml (two workers, each with its own
// dockerd, on the pod network by default), `web` behind a ClusterIP, a NodePort and a headless
// Service, and a client pod on the green worker. Requests by Service name reach pods on both
// workers; pods reach each other by IP across workers; the runner reaches the NodePort on every
// worker; an endpoint that goes unready leaves the rotation; a LoadBalancer Service answers on the
// workers' addresses; port-forward to a Service works from the runner; scaling reaches every
// worker's rules; an agent killed with -9 keeps traffic flowing and rebuilds without duplicates; a
// pod's hostPort answers on its node and a second pod asking for it waits for the port. Also: DNS
// queries/s from a pod (the bench figure), a StatefulSet with volume claims and per-pod DNS
// (issue #14), and one TCP connection through a ClusterIP held open while the agents on both of
// its ends are killed with -9.
const specFile = 'examples/e2e.yaml';
const cluster = 'e2e';
let h: CliCluster;
let kubeconfig: string;
let workers: { id: string; group: string; privateIp: string }[] = [];

/** The client-pod and kubectl probes, bound to this cluster's kubeconfig once it exists. */
const probe = (): NetworkProbes => networkProbes(kubeconfig);
const answersFrom = (ip: string, port: number, n: number) => probe().answersFrom(ip, port, n);
const lookup = (name: string) => probe().lookup(name);
const clusterIpOf = (service: string) => probe().clusterIpOf(service);
const nodePortOf = (service: string) => probe().nodePortOf(service);
const webPods = () => probe().webPods();
const inClient = (script: string) => probe().inClient(script);

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

it('DNS from a pod: 40,000 queries for web from the client pod to its cluster DNS, every answer right', async () => {
  const r = await checkDnsFromPod(kubeconfig, 'client', await clusterIpOf('web'));
  for (const run of r) process.stderr.write(`network e2e: DNS from a pod: ${JSON.stringify(run)}\n`);
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
  const nodePort = await nodePortOf('web-np');
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

it('a LoadBalancer Service lists the workers as its ingress and answers on each of them', async () => {
  const ingress = await waitFor(
    async () => {
      const svc = JSON.parse(await kubectlOk(kubeconfig, ['get', 'service', 'web-lb', '-o', 'json'])) as {
        status?: { loadBalancer?: { ingress?: { ip?: string }[] } };
      };
      const ips = (svc.status?.loadBalancer?.ingress ?? []).map((i) => i.ip ?? '');
      return ips.length === workers.length ? ips : undefined;
    },
    'web-lb ingress addresses',
    60_000,
    500,
  );
  // The workers' own addresses, in namespaces this test made; only those are ever connected to.
  expect([...ingress].sort()).toEqual(workers.map((w) => w.privateIp).sort());
  const names = new Set((await webPods()).map((p) => p.name));
  for (const ip of ingress) {
    const res = await fetch(`http://${ip}:80/`, { signal: AbortSignal.timeout(5_000) });
    expect(res.status, ip).toBe(200);
    expect(names.has((await res.text()).trim()), ip).toBe(true);
  }
});

it('kubectl port-forward svc/web from the runner reaches a web pod', async () => {
  const names = new Set((await webPods()).map((p) => p.name));
  const answer = await withPortForward(kubeconfig, 'svc/web', 80, async (localPort) => {
    const res = await fetch(`http://127.0.0.1:${localPort}/`, { signal: AbortSignal.timeout(10_000) });
    expect(res.status).toBe(200);
    return (await res.text()).trim();
  });
  expect(names.has(answer), answer).toBe(true);
});

it('scaling web updates the Service rules on every worker', async () => {
  await kubectlOk(kubeconfig, ['scale', 'deployment', 'web', '--replicas=6']);
  // One pod was taken out of the rotation above: 5 of the 6 are ready.
  const pods = await waitFor(
    async () => {
      const up = await webPods();
      return up.length === 5 ? up : undefined;
    },
    '5 ready web pods',
    180_000,
    1_000,
  );
  const want = pods.map((p) => `${p.ip}:8080`).sort();
  for (const w of workers) {
    const host = h.manager!.host(w.id)!;
    await waitFor(
      async () => JSON.stringify(ruleEndpoints(host.netns, 'default/web:http')) === JSON.stringify(want),
      `${w.id} balancing web over its 5 ready pods`,
      30_000,
      200,
    );
  }
});

it("a StatefulSet keeps every ordinal's name, claim and file across a pod deletion and a scale to 1 and back; web-1 resolves", async () => {
  await checkStatefulSetAcceptance(kubeconfig, lookup);
});

it('an agent killed with -9 comes back: Service traffic keeps flowing and no rule is duplicated', async () => {
  // Blue's agent dies; the client pod runs on green (its exec goes through green's agent), so
  // the requests below cross blue's pod network, and the runner's reach blue's own rules.
  const blue = workers.find((w) => w.group === 'blue')!;
  const state = join(h.dir, 'state', cluster);
  const ip = await clusterIpOf('web');
  const nodePort = await nodePortOf('web-np');
  const before = await withHostShell(state, blue.privateIp, agentPid);
  expect(before).toBeGreaterThan(0);
  const traffic = answersFrom(ip, 80, 60);
  const direct = (async () => {
    const failed: string[] = [];
    for (let i = 0; i < 30; i++) {
      const res = await fetch(`http://${blue.privateIp}:${nodePort}/`, {
        signal: AbortSignal.timeout(5_000),
      }).catch((err: Error) => err);
      if (res instanceof Error || res.status !== 200)
        failed.push(res instanceof Error ? res.message : `${res.status}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    return failed;
  })();
  await withHostShell(state, blue.privateIp, (shell) => shell.exec(`kill -KILL ${before}`));
  const after = await waitFor(
    async () => {
      const pid = await withHostShell(state, blue.privateIp, agentPid);
      return pid && pid !== before ? pid : undefined;
    },
    'the supervisor restarting the agent',
    60_000,
    500,
  );
  expect(after).not.toBe(before);
  expect((await traffic).filter((a) => a === 'FAILED')).toEqual([]);
  expect(await direct).toEqual([]);
  await waitFor(async () => (await nodeReadiness(kubeconfig)).get(blue.id) === 'True', 'blue Ready', 60_000);
  // The restarted agent resynced from the kernel: its rules are whole and none is there twice.
  const netns = h.manager!.host(blue.id)!.netns;
  const want = (await webPods()).map((p) => `${p.ip}:8080`).sort();
  await waitFor(
    async () => JSON.stringify(ruleEndpoints(netns, 'default/web:http')) === JSON.stringify(want),
    'blue balancing web over the ready pods after the restart',
    30_000,
    200,
  );
  expect(duplicatedRules(netns)).toEqual([]);
  expect((await answersFrom(ip, 80, 20)).filter((a) => a === 'FAILED')).toEqual([]);
});

it("a TCP connection through a ClusterIP keeps carrying data while the agents on the client's and the server's nodes are killed with -9", async () => {
  await checkTcpAcrossAgentKills({
    kubeconfig,
    stateDir: join(h.dir, 'state', cluster),
    workers,
    netnsOf: (id) => h.manager!.host(id)!.netns,
    clusterIpOf,
  });
});

it("a pod's hostPort answers on its node's address; a second pod asking for it stays Pending with the scheduler's reason", async () => {
  const blue = workers.find((w) => w.group === 'blue')!;
  /** Waits (bounded) until blue's port 18080 answers with `pod`'s name. */
  const answersOnBlue = (pod: string, ms: number) =>
    waitFor(
      async () => {
        const res = await fetch(`http://${blue.privateIp}:18080/`, {
          signal: AbortSignal.timeout(3_000),
        }).catch(() => undefined);
        return res?.status === 200 && (await res.text()).trim() === pod;
      },
      `${pod} answering on blue:18080`,
      ms,
      500,
    );
  await kubectlOk(kubeconfig, ['apply', '-f', '-'], renderHostPortPod('hp'));
  await answersOnBlue('hp', 120_000);
  await kubectlOk(kubeconfig, ['apply', '-f', '-'], renderHostPortPod('hp-clash'));
  const message = await waitFor(
    async () => {
      const pod = JSON.parse(await kubectlOk(kubeconfig, ['get', 'pod', 'hp-clash', '-o', 'json'])) as {
        status?: { conditions?: { type: string; reason?: string; message?: string }[] };
      };
      return pod.status?.conditions?.find((c) => c.type === 'PodScheduled' && c.reason === 'Unschedulable')
        ?.message;
    },
    'hp-clash Unschedulable',
    60_000,
    500,
  );
  expect(message).toContain("didn't have free ports for the requested pod ports");
  // Deleting the holder frees the port: the waiting pod is placed and answers there.
  await kubectlOk(kubeconfig, ['delete', 'pod', 'hp', '--wait=true']);
  await answersOnBlue('hp-clash', 180_000);
  // Blue's agent killed with -9: the host port keeps answering while the agent restarts and
  // passes over its pods (the rule a previous agent wrote stays until the new one knows them all).
  const state = join(h.dir, 'state', cluster);
  const before = await withHostShell(state, blue.privateIp, agentPid);
  await withHostShell(state, blue.privateIp, (shell) => shell.exec(`kill -KILL ${before}`));
  const failed: string[] = [];
  let restarted = false;
  for (let i = 0; i < 60 && !(restarted && i >= 40); i++) {
    const res = await fetch(`http://${blue.privateIp}:18080/`, { signal: AbortSignal.timeout(3_000) }).catch(
      (err: Error) => err,
    );
    const body = res instanceof Error ? res.message : `${res.status} ${(await res.text()).trim()}`;
    if (body !== '200 hp-clash') failed.push(body);
    if (i % 10 === 9) {
      const pid = await withHostShell(state, blue.privateIp, agentPid);
      restarted ||= pid !== undefined && pid !== before;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  expect(restarted).toBe(true);
  expect(failed).toEqual([]);
  await answersOnBlue('hp-clash', 30_000);
});

it('tugboat delete --yes leaves nothing tagged', async () => {
  const deleted = await h.tugboat<{ clean: boolean }>('delete', cluster, '--yes');
  expect(deleted.clean).toBe(true);
  expect(await describeTagged(h.moto.env, cluster)).toEqual([]);
  await h.manager!.waitFor((hosts) => hosts.length === 0, 'no hosts after delete', 120_000);
});
