import { describe, expect, it } from 'vitest';
import {
  buildMirroredSlices,
  MAX_MIRRORED_ENDPOINTS,
  reconcileMirroredSlices,
} from '../../../src/control-plane/controllers/endpointslice-mirroring.js';
import { resourceTypes } from '../../../src/control-plane/machinery/resources.js';
import type { EndpointSlice, Endpoints, Service } from '../../../src/kube/index.js';
import { useControlCluster } from '../../support/control-cluster.js';
import { waitFor } from '../../support/sim-nodes.js';

const svc = (selector?: Record<string, string>): Service => ({
  metadata: { name: 'db', namespace: 'default', uid: 'uid-svc' },
  spec: { ...(selector ? { selector } : {}), ports: [{ name: 'pg', port: 5432 }] },
});

const endpoints = (labels: Record<string, string> = {}): Endpoints => ({
  metadata: { name: 'db', namespace: 'default', uid: 'uid-ep', labels: { team: 'data', ...labels } },
  subsets: [
    {
      addresses: [{ ip: '192.0.2.10', hostname: 'db-0' }, { ip: 'fd00::10' }, { ip: 'bogus' }],
      notReadyAddresses: [{ ip: '192.0.2.11', nodeName: 'n1' }],
      ports: [{ name: 'pg', port: 5432, protocol: 'TCP' }],
    },
  ],
});

describe('EndpointSlice mirroring (pure)', () => {
  it('mirrors a selector-less Service’s Endpoints into slices per address type, owned by the Endpoints', () => {
    const slices = buildMirroredSlices(svc(), endpoints());
    expect(slices.map((s) => s.addressType)).toEqual(['IPv4', 'IPv6']);
    const [v4] = slices;
    expect(v4!.metadata.labels).toEqual({
      team: 'data',
      'kubernetes.io/service-name': 'db',
      'endpointslice.kubernetes.io/managed-by': 'endpointslicemirroring-controller.k8s.io',
    });
    expect(v4!.metadata.ownerReferences?.[0]).toMatchObject({ kind: 'Endpoints', name: 'db', uid: 'uid-ep' });
    expect(v4!.ports).toEqual([{ name: 'pg', port: 5432, protocol: 'TCP' }]);
    expect(v4!.endpoints).toEqual([
      { addresses: ['192.0.2.10'], conditions: { ready: true }, hostname: 'db-0' },
      { addresses: ['192.0.2.11'], conditions: { ready: false }, nodeName: 'n1' },
    ]);
  });

  it('mirrors nothing for a Service with a selector, a missing Service or a skip-mirror label', () => {
    expect(buildMirroredSlices(svc({ app: 'db' }), endpoints())).toEqual([]);
    expect(buildMirroredSlices(undefined, endpoints())).toEqual([]);
    expect(
      buildMirroredSlices(svc(), endpoints({ 'endpointslice.kubernetes.io/skip-mirror': 'true' })),
    ).toEqual([]);
  });

  it('caps at 1000 addresses, 100 a slice, survives odd subsets and deletes slices no longer wanted', () => {
    const many: Endpoints = {
      metadata: { name: 'db', namespace: 'default' },
      subsets: [
        null as never,
        { addresses: 'x' as never, ports: [{ port: 1 }] },
        {
          addresses: Array.from({ length: 1200 }, (_, i) => ({ ip: `10.1.${i >> 8}.${i & 255}` })),
          ports: [{ port: 5432 }],
        },
      ],
    };
    const slices = buildMirroredSlices(svc(), many);
    expect(slices).toHaveLength(MAX_MIRRORED_ENDPOINTS / 100);
    expect(slices.flatMap((s) => s.endpoints)).toHaveLength(MAX_MIRRORED_ENDPOINTS);
    const gone = reconcileMirroredSlices(svc({ app: 'db' }), many, slices);
    expect(gone.map((a) => a.verb)).toEqual(Array(slices.length).fill('delete'));
  });
});

describe('EndpointSlice mirroring against the real API server', () => {
  const f = useControlCluster();
  const mirrored = async () =>
    (await f.c.api.list<EndpointSlice>(resourceTypes.endpointslices, { namespace: 'default' })).items.filter(
      (s) =>
        s.metadata.labels?.['kubernetes.io/service-name'] === 'ext' &&
        s.metadata.labels?.['endpointslice.kubernetes.io/managed-by'] ===
          'endpointslicemirroring-controller.k8s.io',
    );

  it('follows hand-written Endpoints, stops when the Service gains a selector, and is put back when deleted', async () => {
    await f.c.api.create(resourceTypes.services, {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'ext', namespace: 'default' },
      spec: { ports: [{ port: 80 }] },
    } as Service);
    await f.c.api.create(resourceTypes.endpoints, {
      apiVersion: 'v1',
      kind: 'Endpoints',
      metadata: { name: 'ext', namespace: 'default' },
      subsets: [{ addresses: [{ ip: '192.0.2.1' }], ports: [{ port: 8080 }] }],
    } as Endpoints);
    const first = await waitFor('mirrored slice', async () => {
      const s = await mirrored();
      return s.length === 1 && s[0]!.endpoints.length === 1 ? s[0] : undefined;
    });
    expect(first.endpoints[0]).toMatchObject({ addresses: ['192.0.2.1'], conditions: { ready: true } });

    const ep = await f.c.api.get<Endpoints>(resourceTypes.endpoints, 'default', 'ext');
    ep!.subsets = [{ addresses: [{ ip: '192.0.2.1' }, { ip: '192.0.2.2' }], ports: [{ port: 8080 }] }];
    await f.c.api.update(resourceTypes.endpoints, ep!);
    await waitFor('two endpoints', async () =>
      (await mirrored())[0]?.endpoints.length === 2 ? true : undefined,
    );

    await f.c.api.delete(resourceTypes.endpointslices, 'default', first.metadata.name!);
    await waitFor('slice recreated', async () => {
      const s = await mirrored();
      return s.length === 1 && s[0]!.metadata.uid !== first.metadata.uid ? true : undefined;
    });

    const service = await f.c.api.get<Service>(resourceTypes.services, 'default', 'ext');
    service!.spec.selector = { app: 'ext' };
    await f.c.api.update(resourceTypes.services, service!);
    await waitFor('mirrored slices gone', async () => ((await mirrored()).length === 0 ? true : undefined));
  });
});
