/**
 * ClusterDns against a real API server on loopback: it waits for its address, then answers from
 * its Service and EndpointSlice watches as they change.
 */

import { createSocket } from 'node:dgram';
import * as packet from 'dns-packet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClusterDns, podGateway } from '../../../../src/agent/network/dns/cluster-dns.js';
import { KubeClient } from '../../../../src/client/client.js';
import { resources } from '../../../../src/client/types.js';
import type { EndpointSlice, Service } from '../../../../src/kube/index.js';
import { type RunningApiServer, startApiServer } from '../../../support/api-server.js';

let api: RunningApiServer;
let client: KubeClient;
let dns: ClusterDns;
let address: string | undefined;

function ask(port: number, name: string): Promise<{ rcode?: string; answers?: packet.Answer[] }> {
  return new Promise((resolve, reject) => {
    const s = createSocket('udp4');
    const t = setTimeout(() => {
      s.close();
      reject(new Error(`no answer for ${name}`));
    }, 3000);
    s.on('message', (m) => {
      clearTimeout(t);
      s.close();
      resolve(packet.decode(m) as { rcode?: string; answers?: packet.Answer[] });
    });
    s.send(packet.encode({ type: 'query', id: 1, questions: [{ name, type: 'A' }] }), port, '127.0.0.1');
  });
}

async function until<T>(probe: () => Promise<T | undefined>, tries = 50): Promise<T | undefined> {
  for (let i = 0; i < tries; i++) {
    const v = await probe();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
  return undefined;
}

describe('ClusterDns against an API server', () => {
  beforeAll(async () => {
    api = await startApiServer();
    client = new KubeClient({ server: api.url, allowInsecureLoopback: true });
    dns = new ClusterDns({
      client,
      listenHost: () => address,
      port: 0,
      clusterCidr: '10.244.0.0/16',
      hostResolvConf: () => '',
      retryMs: 50,
    });
    dns.start();
  }, 60_000);

  afterAll(async () => {
    await dns?.stop();
    client?.close();
    await api?.stop();
  });

  it('binds only once its address is known, and computes the gateway from the node block', async () => {
    await new Promise((r) => setTimeout(r, 200));
    expect(dns.port).toBeUndefined();
    expect(podGateway('10.244.3.0/24')).toBe('10.244.3.1');
    expect(podGateway(undefined)).toBeUndefined();
    address = '127.0.0.1';
    expect(await dns.serving(5_000)).toBeGreaterThan(0);
  });

  it('answers from the watched Services and EndpointSlices as they change', async () => {
    const port = dns.port ?? 0;
    expect((await ask(port, 'db.default.svc.cluster.local')).rcode).toBe('NXDOMAIN');
    await client.create<Service>(
      resources.services,
      {
        metadata: { name: 'db', namespace: 'default' },
        spec: { clusterIP: 'None', ports: [{ name: 'pg', port: 5432 }] },
      } as Service,
      'default',
    );
    await client.create<EndpointSlice>(
      resources.endpointSlices,
      {
        metadata: { name: 'db-x1', namespace: 'default', labels: { 'kubernetes.io/service-name': 'db' } },
        addressType: 'IPv4',
        endpoints: [
          { addresses: ['10.244.1.5'], conditions: { ready: true } },
          { addresses: ['10.244.1.6'], conditions: { ready: false } },
        ],
        ports: [{ name: 'pg', port: 5432, protocol: 'TCP' }],
      } as EndpointSlice,
      'default',
    );
    const found = await until(async () => {
      const r = await ask(port, 'db.default.svc.cluster.local');
      return r.answers?.length ? r.answers : undefined;
    });
    expect(found?.map((a) => ('data' in a ? a.data : ''))).toEqual(['10.244.1.5']);
    await client.delete(resources.services, 'db', { namespace: 'default' });
    const gone = await until(async () => {
      const r = await ask(port, 'db.default.svc.cluster.local');
      return r.rcode === 'NXDOMAIN' ? true : undefined;
    });
    expect(gone).toBe(true);
  });
});
