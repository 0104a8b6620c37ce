/**
 * The proxy's sync scheduling against a real API server, with an iptables that only records what it
 * is given: a steady stream of changes does not hold back the sync (kube-proxy's minSyncPeriod is a
 * rate limit, not a debounce), and the last change of a stream is applied.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Iptables } from '../../../../src/agent/network/service-proxy/iptables.js';
import { ServiceProxy } from '../../../../src/agent/network/service-proxy/service-proxy.js';
import { KubeClient } from '../../../../src/client/client.js';
import { resources } from '../../../../src/client/types.js';
import type { EndpointSlice, Service } from '../../../../src/kube/index.js';
import { type RunningApiServer, startApiServer } from '../../../support/api-server.js';
import { waitFor } from '../../../support/wait.js';
import { endpointSlice, service } from './fixtures.js';

/** Each restore's input, in order. */
const restores: string[] = [];
const recording: Iptables = {
  save: async () => '',
  restore: async (input) => {
    restores.push(input);
  },
};
let api: RunningApiServer;
let client: KubeClient;
let proxy: ServiceProxy;

beforeAll(async () => {
  api = await startApiServer();
  client = new KubeClient({ server: api.url, allowInsecureLoopback: true });
  await client.create<Service>(resources.services, service('web', '10.96.0.40', [{ port: 80 }]), 'default');
  await client.create<EndpointSlice>(
    resources.endpointSlices,
    endpointSlice('web', 'web-a', ['10.244.0.10', '10.244.0.11'], [{ port: 8080 }]),
    'default',
  );
  // A window far longer than the gap between the changes below.
  proxy = new ServiceProxy({ client, iptables: recording, batchMs: 1_500, resyncMs: 600_000 });
  await proxy.start();
}, 60_000);

afterAll(async () => {
  await proxy?.stop();
  client?.close();
  await api?.stop();
});

it('applies changes while a stream of them goes on, and the last one after it', async () => {
  const before = restores.length;
  let appliedDuringStream = 0;
  // 30 changes about 150 ms apart (4.5 s or more): a debounce would write nothing until they stop.
  for (let n = 0; n < 30; n++) {
    const slice = await client.get<EndpointSlice>(resources.endpointSlices, 'web-a', 'default');
    slice.endpoints = [
      { addresses: ['10.244.0.10'], conditions: { ready: true } },
      { addresses: ['10.244.0.11'], conditions: { ready: n % 2 === 1 } },
    ];
    await client.update<EndpointSlice>(resources.endpointSlices, slice);
    appliedDuringStream = restores.length - before;
    await new Promise((r) => setTimeout(r, 150));
  }
  expect(appliedDuringStream).toBeGreaterThan(0);
  // The last change (n = 29: .11 ready) reaches the rules.
  // The last change (n = 29: .11 ready again) reaches the rules; later syncs may write nothing new.
  const lastServiceRules = () => restores.findLast((r) => r.includes('--comment "default/web -> '));
  await waitFor(
    () => lastServiceRules()?.includes('default/web -> 10.244.0.11:8080'),
    'the last change applied',
  );
}, 120_000);
