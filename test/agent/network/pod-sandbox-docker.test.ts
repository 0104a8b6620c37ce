import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Agent, buildAgent } from '../../../src/agent/agent.js';
import { parseResolvConf } from '../../../src/agent/network/dns/resolv-conf.js';
import { HostNetwork, removePodNetwork } from '../../../src/agent/network/host-network.js';
import { IpKernelNetwork } from '../../../src/agent/network/kernel.js';
import { PodSandboxes, SANDBOX_CONTAINER } from '../../../src/agent/network/pod-sandbox.js';
import { DockerRuntime } from '../../../src/agent/runtime/docker-runtime.js';
import { PAUSE_IMAGE } from '../../../src/agent/runtime/pause-image.js';
import { cleanupVolumes } from '../../../src/agent/volumes.js';
import { KubeClient, type Pod, resources } from '../../../src/client/index.js';
import { RecordingEvents } from '../../../src/events.js';
import type { Node } from '../../../src/kube/index.js';
import { type Dockerd, startDockerd } from '../../harness/dockerd.js';
import { type FakeApi, startFakeApi } from '../../support/fake-api.js';
import { waitFor } from '../../support/sim-nodes.js';
import { inNetns, netnsRunner, serveZoneInNetns } from './netns.js';

// The node's network lives in a namespace this test made ("the host"); the pods' namespaces are
// the sandboxes' own, made by dockerd (network mode none) and plumbed from the host namespace.
const ns = `tbsb${process.pid % 10000}`;
let dockerd: Dockerd;
let api: FakeApi;
let client: KubeClient;
let runtime: DockerRuntime;
let kernel: IpKernelNetwork;
let agent: Agent;
let dataDir: string;
const events = new RecordingEvents();

const makeAgent = () => {
  const host = new HostNetwork({
    client,
    kernel,
    nodeName: 'node-a',
    underlayIp: '192.0.2.1',
    clusterCidr: '10.244.0.0/16',
    events,
  });
  const sandboxes = new PodSandboxes({
    runtime,
    kernel,
    dataDir,
    nodeCidr: () => host.nodeCidr(),
    // The image the agent builds on the node itself (no registry).
    sandboxImage: PAUSE_IMAGE,
    dns: { hostResolvConf: () => parseResolvConf('nameserver 192.0.2.53\nsearch corp.example\n') },
    events,
  });
  return buildAgent({
    client,
    runtime,
    identity: { name: 'node-a', hostname: 'node-a', internalIP: '192.0.2.1' },
    dataDir,
    events,
    syncIntervalMs: 300,
    leaseRenewMs: 1_000,
    backoff: { baseMs: 300, maxMs: 1_000 },
    orphanGraceSeconds: 1,
    podNetwork: { host, sandboxes },
  });
};

beforeAll(async () => {
  execFileSync('ip', ['netns', 'add', ns]);
  inNetns(ns, 'ip', 'link', 'set', 'lo', 'up');
  inNetns(ns, 'ip', 'addr', 'add', '192.0.2.1/32', 'dev', 'lo');
  dockerd = await startDockerd();
  api = await startFakeApi();
  client = new KubeClient({ server: api.url, allowInsecureLoopback: true });
  runtime = new DockerRuntime({ socketPath: dockerd.socketPath });
  kernel = new IpKernelNetwork(netnsRunner(ns));
  dataDir = mkdtempSync(join(tmpdir(), `tugboat-sandbox-${process.pid}-`));
  agent = makeAgent();
  await agent.start();
  // The control plane's node IPAM, played by the test.
  await client.patch<Node>(resources.nodes, 'node-a', {
    spec: { podCIDR: '10.244.3.0/24', podCIDRs: ['10.244.3.0/24'] },
  });
});

afterAll(async () => {
  await agent?.stop();
  await runtime?.close();
  client?.close();
  await api?.close();
  await dockerd?.stop();
  if (kernel) await removePodNetwork(kernel).catch(() => {});
  execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
  if (dataDir) {
    for (const uid of readdirSync(join(dataDir, 'pods'))) await cleanupVolumes(dataDir, uid);
    rmSync(dataDir, { recursive: true, force: true });
  }
});

const getPod = (name: string) => client.get<Pod>(resources.pods, name, 'default');

async function execIn(pod: string, container: string, command: string[]): Promise<string> {
  const c = (await runtime.list()).find(
    (x) => x.podName === pod && x.containerName === container && x.state === 'running',
  );
  if (!c) throw new Error(`no running ${container} in ${pod}`);
  const session = await runtime.exec(c.id, { command });
  let out = '';
  (session.stdout as Readable).on('data', (b) => {
    out += b;
  });
  await session.exitCode;
  return out;
}

describe('pods on the docker runtime get a sandbox on the tugboat bridge', () => {
  let podIP = '';

  it('gives the pod an address of the node block, its hostname and /etc/hosts', async () => {
    await client.create<Pod>(resources.pods, {
      metadata: { name: 'web', namespace: 'default' },
      spec: {
        nodeName: 'node-a',
        terminationGracePeriodSeconds: 1,
        hostname: 'web-0',
        subdomain: 'backend',
        hostAliases: [{ ip: '192.0.2.77', hostnames: ['db.local'] }],
        containers: [
          { name: 'http', image: 'local/busybox:latest', command: ['httpd', '-f', '-p', '80', '-h', '/www'] },
          { name: 'side', image: 'local/busybox:latest', command: ['sleep', '3600'] },
        ],
      },
    });
    const pod = await waitFor('web running with a pod IP', async () => {
      const p = await getPod('web');
      return p.status?.phase === 'Running' && p.status.podIP ? p : undefined;
    });
    podIP = pod.status?.podIP ?? '';
    expect(podIP).toMatch(/^10\.244\.3\.\d+$/);
    expect(pod.status?.podIPs).toEqual([{ ip: podIP }]);
    expect((await execIn('web', 'side', ['hostname'])).trim()).toBe('web-0');
    const hosts = await execIn('web', 'side', ['cat', '/etc/hosts']);
    expect(hosts).toContain(`${podIP}\tweb-0.backend.default.svc.cluster.local\tweb-0`);
    expect(hosts).toContain('192.0.2.77\tdb.local');
    // The host reaches the pod over the bridge; the containers share the sandbox's namespace.
    expect(inNetns(ns, 'busybox', 'wget', '-qO-', `http://${podIP}/`)).toContain('hello from tugboat');
    expect(await execIn('web', 'side', ['wget', '-qO-', 'http://127.0.0.1/'])).toContain(
      'hello from tugboat',
    );
  });

  it('gives the containers a resolv.conf for the cluster DNS on the gateway, which answers them', async () => {
    const resolv = await execIn('web', 'side', ['cat', '/etc/resolv.conf']);
    expect(resolv).toBe(
      'nameserver 10.244.3.1\nsearch default.svc.cluster.local svc.cluster.local cluster.local corp.example\noptions ndots:5\n',
    );
    // The agent's DNS server, run inside "the host" namespace on the gateway address.
    const dns = serveZoneInNetns(ns, {
      host: '10.244.3.1',
      port: 53,
      clusterCidr: '10.244.0.0/16',
      services: [
        {
          metadata: { namespace: 'default', name: 'backend' },
          spec: { clusterIP: 'None', ports: [{ name: 'http', port: 80 }] },
        },
      ],
      endpoints: [
        {
          metadata: { namespace: 'default', name: 'backend' },
          subsets: [{ addresses: [{ ip: podIP, hostname: 'web-0' }], ports: [{ name: 'http', port: 80 }] }],
        },
      ],
    });
    try {
      await dns.ready;
      const out = await execIn('web', 'side', ['nslookup', 'web-0.backend.default.svc.cluster.local']);
      expect(out).toContain(`Address: ${podIP}`);
      const nx = await execIn('web', 'side', [
        'sh',
        '-c',
        'nslookup nope.default.svc.cluster.local 2>&1; true',
      ]);
      expect(nx).toMatch(/NXDOMAIN|can't find/);
      // Reaches the pod by its DNS name through the search list.
      expect(await execIn('web', 'side', ['wget', '-qO-', 'http://web-0.backend/'])).toContain(
        'hello from tugboat',
      );
    } finally {
      await dns.stop();
    }
  });

  it('keeps the address when a container restarts', async () => {
    const http = (await runtime.list()).find((c) => c.podName === 'web' && c.containerName === 'http');
    await runtime.stop(http!.id, 0);
    await waitFor('http restarted', async () => {
      const s = (await getPod('web')).status?.containerStatuses?.find((c) => c.name === 'http');
      return (s?.restartCount ?? 0) >= 1 && s?.state?.running ? true : undefined;
    });
    expect((await getPod('web')).status?.podIP).toBe(podIP);
    expect(inNetns(ns, 'busybox', 'wget', '-qO-', `http://${podIP}/`)).toContain('hello from tugboat');
    const sandboxes = (await runtime.list()).filter(
      (c) => c.podName === 'web' && c.containerName === SANDBOX_CONTAINER,
    );
    expect(sandboxes).toHaveLength(1);
  });

  it('a restarted agent keeps the pod and its address without a second veth', async () => {
    await agent.stop();
    const veths = () => inNetns(ns, 'ip', '-o', 'link', 'show', 'master', 'tugboat0').trim().split('\n');
    expect(veths()).toHaveLength(1);
    agent = makeAgent();
    await agent.start();
    await agent.syncNow();
    expect(veths()).toHaveLength(1);
    expect((await getPod('web')).status?.podIP).toBe(podIP);
    expect(inNetns(ns, 'busybox', 'wget', '-qO-', `http://${podIP}/`)).toContain('hello from tugboat');
  });

  it('frees the address and the veth when the pod is deleted', async () => {
    await client.delete(resources.pods, 'web', { namespace: 'default' });
    await waitFor('web gone', async () =>
      (await runtime.list()).some((c) => c.podName === 'web') ? undefined : true,
    );
    await waitFor('veth gone', async () =>
      inNetns(ns, 'ip', '-o', 'link', 'show', 'master', 'tugboat0').trim() === '' ? true : undefined,
    );
    const allocations = () =>
      JSON.parse(readFileSync(join(dataDir, 'network', 'pod-ips.json'), 'utf8')).allocations;
    await waitFor('address freed', async () => (Object.keys(allocations()).length === 0 ? true : undefined));
    expect(allocations()).toEqual({});
  });
});
