/**
 * The service proxy end to end on one node: a real API server on loopback, the proxy's list-watch
 * caches, and its rules applied in a node namespace this test creates (netns-lab.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commandIptables } from '../../../../src/agent/network/service-proxy/iptables.js';
import { ServiceProxy } from '../../../../src/agent/network/service-proxy/service-proxy.js';
import { removeServiceRules } from '../../../../src/agent/network/service-proxy/sync-rules.js';
import { KubeClient } from '../../../../src/client/client.js';
import { resources } from '../../../../src/client/types.js';
import type { EndpointSlice, Service } from '../../../../src/kube/index.js';
import { type RunningApiServer, startApiServer } from '../../../support/api-server.js';
import { endpointSlice, service } from './fixtures.js';
import { NetnsLab } from './netns-lab.js';

const lab = new NetnsLab('b');
let api: RunningApiServer;
let client: KubeClient;
let proxy: ServiceProxy;
const iptables = () => commandIptables({ prefix: ['nsenter', `--net=/run/netns/${lab.node}`] });

/** Polls `probe` until it returns true, at most `tries` times 100 ms apart. */
async function until(probe: () => Promise<boolean>, tries = 50): Promise<boolean> {
  for (let i = 0; i < tries; i++) {
    if (await probe()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

describe('ServiceProxy against an API server', () => {
  beforeAll(async () => {
    await lab.create(2);
    api = await startApiServer();
    client = new KubeClient({ server: api.url, allowInsecureLoopback: true });
    const svc = service('web', '10.96.0.30', [{ port: 80, nodePort: 30090 }], { type: 'NodePort' });
    await client.create<Service>(resources.services, svc, 'default');
    proxy = new ServiceProxy({ client, iptables: iptables(), nodeIPs: ['192.168.77.1'], resyncMs: 500 });
    await proxy.start();
  }, 60_000);

  afterAll(async () => {
    await proxy?.stop();
    await removeServiceRules(iptables()).catch(() => {});
    await api?.stop();
    await lab.destroy();
  });

  it('rejects a Service without endpoints, then routes as soon as its EndpointSlices appear', async () => {
    expect(await lab.fetchFrom(lab.client, 'http://192.168.77.1:30090/', 1)).toEqual(['error:ECONNREFUSED']);
    // Two slices of one Service, as the controller writes past 100 endpoints: both are read.
    const [first, second] = lab.pods;
    await client.create<EndpointSlice>(
      resources.endpointSlices,
      endpointSlice('web', 'web-a', [first!.ip], [{ port: 8080 }]),
      'default',
    );
    await client.create<EndpointSlice>(
      resources.endpointSlices,
      endpointSlice('web', 'web-b', [second!.ip], [{ port: 8080 }]),
      'default',
    );
    const both = async () => new Set(await lab.fetchFrom(lab.client, 'http://10.96.0.30/', 20)).size === 2;
    expect(await until(both, 30)).toBe(true);
  }, 60_000);

  it('takes an endpoint that turns unready out of the rotation', async () => {
    const current = await client.get<EndpointSlice>(resources.endpointSlices, 'web-b', 'default');
    const [, second] = lab.pods;
    current.endpoints = [{ addresses: [second!.ip], conditions: { ready: false, serving: false } }];
    await client.update<EndpointSlice>(resources.endpointSlices, current);
    const onlyFirst = async () =>
      (await lab.fetchFrom(lab.client, 'http://192.168.77.1:30090/', 10)).every((a) => a === 'pod-1');
    expect(await until(onlyFirst, 30)).toBe(true);
  }, 60_000);

  it('keeps a terminating endpoint that still serves when no endpoint is ready (KEP-1669)', async () => {
    const [first] = lab.pods;
    const set = async (conditions: { ready: boolean; serving: boolean; terminating: boolean }) => {
      const slice = await client.get<EndpointSlice>(resources.endpointSlices, 'web-a', 'default');
      slice.endpoints = [{ addresses: [first!.ip], conditions }];
      await client.update<EndpointSlice>(resources.endpointSlices, slice);
    };
    const rejecting = () =>
      lab.inNode('iptables-save', '-t', 'filter').includes('default/web has no endpoints');
    // Terminating and no longer serving: nothing is left, so the Service rejects.
    await set({ ready: false, serving: false, terminating: true });
    expect(await until(async () => rejecting(), 30)).toBe(true);
    // Still serving while it terminates: with no ready endpoint, it takes the traffic.
    await set({ ready: false, serving: true, terminating: true });
    expect(await until(async () => !rejecting(), 30)).toBe(true);
    expect(await lab.fetchFrom(lab.client, 'http://10.96.0.30/', 5)).toEqual(Array(5).fill('pod-1'));
    await set({ ready: true, serving: true, terminating: false });
  }, 60_000);

  it('puts back rules removed behind its back at the next periodic resync', async () => {
    await removeServiceRules(iptables());
    const back = async () => (await lab.fetchFrom(lab.client, 'http://10.96.0.30/', 1))[0] === 'pod-1';
    expect(await until(back, 30)).toBe(true);
  }, 60_000);

  it('removes the rules of a deleted Service', async () => {
    await client.delete(resources.services, 'web', { namespace: 'default' });
    const gone = async () => !lab.inNode('iptables-save', '-t', 'nat').includes('default/web');
    expect(await until(gone, 30)).toBe(true);
  }, 60_000);
});
