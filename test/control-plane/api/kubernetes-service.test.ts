import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningApiServer, startApiServer } from '../../support/api-server.js';
import { jsonCaller } from '../../support/json-call.js';
import { waitFor } from '../../support/wait.js';

const BASE = '/api/v1/namespaces/default';

let srv: RunningApiServer;

const call = jsonCaller(() => srv.url);

/** Polls `fn` until it returns a value (5 s at most). */
const eventually = <T>(fn: () => Promise<T | undefined>) =>
  waitFor(fn, 'the kubernetes Service controller', 5_000, 50);

const serviceNow = async () => {
  const r = await call('GET', `${BASE}/services/kubernetes`);
  return r.status === 200 ? r.body : undefined;
};
const endpointsNow = async () => {
  const r = await call('GET', `${BASE}/endpoints/kubernetes`);
  return r.status === 200 ? r.body : undefined;
};

beforeAll(async () => {
  srv = await startApiServer({ advertiseAddress: '127.0.0.1', kubernetesServiceIntervalMs: 100 });
});
afterAll(async () => {
  await srv?.stop();
});

describe('the kubernetes Service', () => {
  it('is created in default with the first service address, 443 → the server port, and Endpoints', async () => {
    const svc = await eventually(serviceNow);
    expect(svc.metadata.labels).toEqual({ component: 'apiserver', provider: 'kubernetes' });
    expect(svc.spec.clusterIP).toBe('10.96.0.1');
    expect(svc.spec.clusterIPs).toEqual(['10.96.0.1']);
    expect(svc.spec.type).toBe('ClusterIP');
    expect(svc.spec.selector).toBeUndefined();
    expect(svc.spec.ports).toEqual([{ name: 'https', protocol: 'TCP', port: 443, targetPort: srv.port }]);
    const ep = await eventually(endpointsNow);
    expect(ep.subsets).toEqual([
      { addresses: [{ ip: '127.0.0.1' }], ports: [{ name: 'https', port: srv.port, protocol: 'TCP' }] },
    ]);
    expect(ep.metadata.labels['endpointslice.kubernetes.io/skip-mirror']).toBe('true');
    const slice = await eventually(async () => {
      const r = await call('GET', '/apis/discovery.k8s.io/v1/namespaces/default/endpointslices/kubernetes');
      return r.status === 200 ? r.body : undefined;
    });
    expect(slice.metadata.labels).toEqual({ 'kubernetes.io/service-name': 'kubernetes' });
    expect(slice.addressType).toBe('IPv4');
    expect(slice.endpoints).toEqual([{ addresses: ['127.0.0.1'], conditions: { ready: true } }]);
    expect(slice.ports).toEqual([{ name: 'https', port: srv.port, protocol: 'TCP' }]);
  });

  it('keeps its address from other Services', async () => {
    const r = await call('POST', `${BASE}/services`, {
      metadata: { name: 'squatter' },
      spec: { clusterIP: '10.96.0.1', ports: [{ port: 80 }] },
    });
    expect(r.status).toBe(422);
    expect(r.body.message).toContain('"10.96.0.1": provided IP is already allocated');
  });

  it('is recreated when deleted and put back when its ports or endpoints are changed', async () => {
    const first = await eventually(serviceNow);
    expect((await call('DELETE', `${BASE}/services/kubernetes`)).status).toBe(200);
    const again = await eventually(async () => {
      const s = await serviceNow();
      return s && s.metadata.uid !== first.metadata.uid ? s : undefined;
    });
    expect(again.spec.clusterIP).toBe('10.96.0.1');

    const patched = await call('PUT', `${BASE}/services/kubernetes`, {
      ...again,
      spec: { ...again.spec, ports: [{ name: 'https', protocol: 'TCP', port: 8443, targetPort: 1 }] },
    });
    expect(patched.status).toBe(200);
    const fixed = await eventually(async () => {
      const s = await serviceNow();
      return s?.spec.ports[0].port === 443 ? s : undefined;
    });
    expect(fixed.spec.ports[0].targetPort).toBe(srv.port);

    const ep = await eventually(endpointsNow);
    const broken = await call('PUT', `${BASE}/endpoints/kubernetes`, {
      ...ep,
      subsets: [{ addresses: [{ ip: '127.0.0.9' }], ports: [{ name: 'https', port: 1, protocol: 'TCP' }] }],
    });
    expect(broken.status).toBe(200);
    await eventually(async () => {
      const e = await endpointsNow();
      return e?.subsets[0].addresses[0].ip === '127.0.0.1' ? e : undefined;
    });
    expect((await call('DELETE', `${BASE}/endpoints/kubernetes`)).status).toBe(200);
    await eventually(endpointsNow);
    const slicePath = '/apis/discovery.k8s.io/v1/namespaces/default/endpointslices/kubernetes';
    expect((await call('DELETE', slicePath)).status).toBe(200);
    await eventually(async () => ((await call('GET', slicePath)).status === 200 ? true : undefined));
  });
});
