/**
 * Traffic policies in a real kernel (a node namespace with veth pods, netns-lab.ts): which endpoints
 * take the traffic, whether the client's address survives, what happens with no local endpoint,
 * and the health check node port served from the model.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  HealthCheckServers,
  healthCheckTargets,
} from '../../../../src/agent/network/service-proxy/health-check.js';
import { commandIptables } from '../../../../src/agent/network/service-proxy/iptables.js';
import { buildServicePorts } from '../../../../src/agent/network/service-proxy/model.js';
import { ServiceProxy } from '../../../../src/agent/network/service-proxy/service-proxy.js';
import { RuleSyncer, removeServiceRules } from '../../../../src/agent/network/service-proxy/sync-rules.js';
import { KubeClient } from '../../../../src/client/client.js';
import { resources } from '../../../../src/client/types.js';
import type { EndpointSlice, Service } from '../../../../src/kube/index.js';
import { type RunningApiServer, startApiServer } from '../../../support/api-server.js';
import { endpointSlice, service } from './fixtures.js';
import { NetnsLab } from './netns-lab.js';

const NODE = 'net-node';
const lab = new NetnsLab('net-tp');
const iptables = () => commandIptables({ prefix: ['nsenter', `--net=/run/netns/${lab.node}`] });
const options = { clusterCidr: '10.244.0.0/16', nodeIPs: ['192.168.77.1'] };

/** A slice for `name` with pods on this node (`local` indexes) and the rest on another node. */
function slice(name: string, local: number[]): EndpointSlice {
  const eps = lab.pods.map((p, i) => ({
    ip: p.ip,
    ready: true,
    nodeName: local.includes(i) ? NODE : 'other',
  }));
  return endpointSlice(name, `${name}-a`, eps, [{ port: 8080 }]);
}

function ports(services: Service[], slices: EndpointSlice[]) {
  const byService = new Map<string, EndpointSlice[]>();
  for (const s of slices) {
    const key = `default/${s.metadata.labels?.['kubernetes.io/service-name']}`;
    byService.set(key, [...(byService.get(key) ?? []), s]);
  }
  return buildServicePorts(services, byService, NODE);
}

const cluster = service('cluster', '10.96.0.40', [{ port: 80, nodePort: 30140 }], {
  type: 'NodePort',
  externalTrafficPolicy: 'Cluster',
});
const local = service('local', '10.96.0.41', [{ port: 80, nodePort: 30141 }], {
  type: 'LoadBalancer',
  externalTrafficPolicy: 'Local',
  healthCheckNodePort: 30142,
});
const internal = service('internal', '10.96.0.42', [{ port: 80 }], { internalTrafficPolicy: 'Local' });

beforeAll(async () => {
  await lab.create(3);
}, 60_000);

afterAll(async () => {
  await lab.destroy();
});

describe('traffic policies in a network namespace', () => {
  it('externalTrafficPolicy Local: node-local endpoints only, and the client address is kept', async () => {
    const syncer = new RuleSyncer(iptables(), options);
    await syncer.sync(ports([cluster, local], [slice('cluster', [0]), slice('local', [0])]), true);
    // Cluster: every endpoint, and the pod sees the node's address (masqueraded).
    expect(new Set(await lab.fetchFrom(lab.client, 'http://192.168.77.1:30140/', 30)).size).toBe(3);
    expect(await lab.fetchFrom(lab.client, 'http://192.168.77.1:30140/ip', 1)).not.toEqual(['192.168.77.2']);
    // Local: only pod-1 (on this node), through the node port and the node address alike, unmasqueraded.
    expect(new Set(await lab.fetchFrom(lab.client, 'http://192.168.77.1:30141/', 20))).toEqual(
      new Set(['pod-1']),
    );
    expect(new Set(await lab.fetchFrom(lab.client, 'http://192.168.77.1:80/', 10))).toEqual(
      new Set(['pod-1']),
    );
    expect(await lab.fetchFrom(lab.client, 'http://192.168.77.1:30141/ip', 2)).toEqual([
      '192.168.77.2',
      '192.168.77.2',
    ]);
    // Inside the cluster the cluster IP still balances over every endpoint.
    expect(new Set(await lab.fetchFrom(lab.pods[2]!.netns, 'http://10.96.0.41/', 30)).size).toBe(3);
  }, 60_000);

  it('externalTrafficPolicy Local with no local endpoint: outside traffic is dropped, pods still get through', async () => {
    const syncer = new RuleSyncer(iptables(), options);
    await syncer.sync(ports([local], [slice('local', [])]), true);
    expect(lab.inNode('iptables-save', '-t', 'filter')).toContain('default/local has no local endpoints');
    const outside = await lab.fetchFrom(lab.client, 'http://192.168.77.1:30141/', 1);
    expect(outside[0]).toMatch(/^error:/);
    expect(outside[0]).not.toBe('error:ECONNREFUSED');
    // A pod going to the node port takes the cluster chain (as if out to a load balancer and back).
    expect(
      (await lab.fetchFrom(lab.pods[1]!.netns, 'http://192.168.77.1:30141/', 10)).every((a) =>
        a.startsWith('pod-'),
      ),
    ).toBe(true);
  }, 60_000);

  it('internalTrafficPolicy Local: the cluster IP reaches this node’s endpoints only, and drops without one', async () => {
    const syncer = new RuleSyncer(iptables(), options);
    await syncer.sync(ports([internal], [slice('internal', [1])]), true);
    expect(new Set(await lab.fetchFrom(lab.pods[0]!.netns, 'http://10.96.0.42/', 20))).toEqual(
      new Set(['pod-2']),
    );
    await syncer.sync(ports([internal], [slice('internal', [])]), false);
    const none = await lab.fetchFrom(lab.pods[0]!.netns, 'http://10.96.0.42/', 1);
    expect(none[0]).toMatch(/^error:/);
    expect(none[0]).not.toBe('error:ECONNREFUSED');
    expect(lab.inNode('iptables-save', '-t', 'filter')).toContain('default/internal has no local endpoints');
  }, 60_000);
});

describe('ServiceProxy with externalTrafficPolicy Local against an API server', () => {
  let api: RunningApiServer | undefined;
  let proxy: ServiceProxy | undefined;

  afterAll(async () => {
    await proxy?.stop();
    await removeServiceRules(iptables()).catch(() => {});
    await api?.stop();
  });

  it('serves the allocated health check port and keeps the client address through the node port', async () => {
    api = await startApiServer();
    const client = new KubeClient({ server: api.url, allowInsecureLoopback: true });
    const made = await client.create<Service>(
      resources.services,
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'api-local' },
        spec: {
          type: 'LoadBalancer',
          externalTrafficPolicy: 'Local',
          ports: [{ port: 8181, targetPort: 8080 }],
        },
      } as Service,
      'default',
    );
    const spec = made.spec as unknown as { healthCheckNodePort: number; ports: { nodePort: number }[] };
    proxy = new ServiceProxy({
      client,
      iptables: iptables(),
      nodeName: NODE,
      healthCheckHost: '127.0.0.1',
      ...options,
    });
    await proxy.start();
    const health = async () => {
      const r = await fetch(`http://127.0.0.1:${spec.healthCheckNodePort}/healthz`);
      return { status: r.status, body: (await r.json()) as { localEndpoints: number } };
    };
    expect(await health()).toMatchObject({ status: 503, body: { localEndpoints: 0 } });
    await client.create<EndpointSlice>(resources.endpointSlices, slice('api-local', [1]), 'default');
    let seen = await health();
    for (let i = 0; i < 50 && seen.status !== 200; i++) {
      await new Promise((r) => setTimeout(r, 100));
      seen = await health();
    }
    expect(seen).toMatchObject({ status: 200, body: { localEndpoints: 1 } });
    const url = `http://192.168.77.1:${spec.ports[0]!.nodePort}`;
    expect(new Set(await lab.fetchFrom(lab.client, `${url}/`, 10))).toEqual(new Set(['pod-2']));
    expect(await lab.fetchFrom(lab.client, `${url}/ip`, 1)).toEqual(['192.168.77.2']);
  }, 60_000);
});

describe('health check node port', () => {
  it('answers 200 with the local endpoint count, 503 without, and closes when the Service goes', async () => {
    const probe = new (await import('node:net')).Server();
    const port = await new Promise<number>((resolve) =>
      probe.listen(0, '127.0.0.1', () => resolve((probe.address() as { port: number }).port)),
    );
    await new Promise((r) => probe.close(r));
    const svc = service('hc', '10.96.0.43', [{ port: 80, nodePort: 30143 }], {
      type: 'LoadBalancer',
      externalTrafficPolicy: 'Local',
      healthCheckNodePort: port,
    });
    const eps = (nodes: string[]) =>
      endpointSlice(
        'hc',
        'hc-a',
        nodes.map((n, i) => ({ ip: `10.244.1.${i + 2}`, nodeName: n })),
        [{ port: 8080 }],
      );
    const servers = new HealthCheckServers({ host: '127.0.0.1' });
    try {
      await servers.sync(
        healthCheckTargets(
          buildServicePorts([svc], new Map([['default/hc', [eps([NODE, NODE, 'other'])]]]), NODE),
        ),
      );
      const ok = await fetch(`http://127.0.0.1:${port}/healthz`);
      expect(ok.status).toBe(200);
      expect(ok.headers.get('content-type')).toBe('application/json');
      expect(ok.headers.get('x-load-balancing-endpoint-weight')).toBe('2');
      expect(await ok.json()).toEqual({
        service: { namespace: 'default', name: 'hc' },
        localEndpoints: 2,
        serviceProxyHealthy: true,
      });
      await servers.sync(
        healthCheckTargets(buildServicePorts([svc], new Map([['default/hc', [eps(['other'])]]]), NODE)),
      );
      const down = await fetch(`http://127.0.0.1:${port}/`);
      expect(down.status).toBe(503);
      expect(((await down.json()) as { localEndpoints: number }).localEndpoints).toBe(0);
      await servers.sync(healthCheckTargets([]));
      expect(servers.ports()).toEqual([]);
      await expect(fetch(`http://127.0.0.1:${port}/`)).rejects.toThrow();
    } finally {
      await servers.close();
    }
  });
});
