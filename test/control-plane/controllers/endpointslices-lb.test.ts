import { describe, expect, it } from 'vitest';
import {
  buildEndpointSlices,
  MAX_ENDPOINTS_PER_SLICE,
  reconcileEndpointSlices,
} from '../../../src/control-plane/controllers/endpointslice-reconcile.js';
import {
  buildLoadBalancerIngress,
  reconcileLoadBalancerStatus,
} from '../../../src/control-plane/controllers/service-lb-status.js';
import { resourceTypes } from '../../../src/control-plane/machinery/resources.js';
import type { EndpointSlice, Node, Pod, Service } from '../../../src/kube/index.js';
import { useControlCluster } from '../../support/control-cluster.js';
import { makeDeployment } from '../../support/k8s-objects.js';
import { waitFor } from '../../support/sim-nodes.js';

const svc = (extra: Partial<Service['spec']> & { publishNotReadyAddresses?: boolean } = {}): Service => ({
  metadata: { name: 'web', namespace: 'default', uid: 'uid-web', labels: { tier: 'front' } },
  spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }], ...extra },
});

const pod = (name: string, ready: boolean, extra: Partial<Pod['metadata']> = {}, port = 8080): Pod => ({
  metadata: { name, namespace: 'default', uid: `uid-${name}`, labels: { app: 'web' }, ...extra },
  spec: {
    nodeName: 'n1',
    containers: [{ name: 'c', image: 'i', ports: [{ name: 'http', containerPort: port }] }],
  },
  status: {
    phase: 'Running',
    podIP: `10.244.0.${name.length + Number(name.replace(/\D/g, '') || 0)}`,
    conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }],
  },
});

const node = (
  name: string,
  ready: boolean,
  addresses: { type: string; address: string }[],
  labels = {},
): Node =>
  ({
    metadata: { name, labels },
    status: { conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }], addresses },
  }) as Node;

describe('EndpointSlices (pure)', () => {
  it('lists ready, unready and terminating pods with conditions, node, zone and the upstream labels', () => {
    const pods = [
      pod('a1', true),
      pod('b2', false),
      pod('c3', true, { deletionTimestamp: '2026-01-01T00:00:00Z' }),
      { ...pod('d4', true), status: { ...pod('d4', true).status, phase: 'Succeeded' } } as Pod,
      { ...pod('e5', true), status: { phase: 'Running' } } as Pod,
    ];
    const [slice, more] = buildEndpointSlices(svc(), pods, new Map([['n1', 'zone-a']]));
    expect(more).toBeUndefined();
    expect(slice!.metadata.labels).toEqual({
      tier: 'front',
      'kubernetes.io/service-name': 'web',
      'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io',
    });
    expect(slice!.metadata.ownerReferences?.[0]).toMatchObject({
      kind: 'Service',
      name: 'web',
      controller: true,
    });
    expect(slice!.addressType).toBe('IPv4');
    expect(slice!.ports).toEqual([{ name: 'http', port: 8080, protocol: 'TCP' }]);
    expect(slice!.endpoints.map((e) => [e.targetRef?.name, e.conditions, e.nodeName, e.zone])).toEqual([
      ['a1', { ready: true, serving: true, terminating: false }, 'n1', 'zone-a'],
      ['b2', { ready: false, serving: false, terminating: false }, 'n1', 'zone-a'],
      ['c3', { ready: false, serving: true, terminating: true }, 'n1', 'zone-a'],
    ]);
    const headless = buildEndpointSlices(
      svc({ clusterIP: 'None', publishNotReadyAddresses: true }),
      pods,
      new Map(),
    );
    expect(headless[0]!.metadata.labels?.['service.kubernetes.io/headless']).toBe('');
    expect(headless[0]!.endpoints.every((e) => e.conditions?.ready)).toBe(true);
    expect(buildEndpointSlices(svc({ selector: undefined }), pods, new Map())).toEqual([]);
  });

  it('names an endpoint by the pod hostname when the pod subdomain is the Service, as DNS needs', () => {
    const named = pod('a1', true);
    named.spec.hostname = 'web-0';
    named.spec.subdomain = 'web';
    const other = pod('b2', true);
    other.spec.hostname = 'x';
    other.spec.subdomain = 'elsewhere';
    const [slice] = buildEndpointSlices(svc(), [named, other], new Map());
    expect(slice!.endpoints.map((e) => e.hostname)).toEqual(['web-0', undefined]);
  });

  it('splits by resolved ports and at 100 endpoints, and deletes the slices of a gone Service', () => {
    const many = Array.from({ length: MAX_ENDPOINTS_PER_SLICE + 5 }, (_, i) => pod(`p${i}`, true));
    const slices = buildEndpointSlices(svc(), [...many, pod('other', true, {}, 9090)], new Map());
    expect(slices.map((s) => s.endpoints.length).sort((a, b) => a - b)).toEqual([1, 5, 100]);
    expect(new Set(slices.map((s) => s.metadata.name)).size).toBe(3);
    expect(
      reconcileEndpointSlices(svc(), [...many], new Map(), slices as EndpointSlice[]).map((a) => a.verb),
    ).toEqual(['delete']);
    expect(reconcileEndpointSlices(undefined, [], new Map(), slices).map((a) => a.verb)).toEqual([
      'delete',
      'delete',
      'delete',
    ]);
  });
});

describe('LoadBalancer status (pure)', () => {
  it('lists each Ready, not excluded node’s ExternalIP, else its InternalIP, sorted', () => {
    const nodes = [
      node('a', true, [
        { type: 'InternalIP', address: '10.0.1.9' },
        { type: 'ExternalIP', address: '54.1.2.3' },
      ]),
      node('b', true, [{ type: 'InternalIP', address: '10.0.2.4' }]),
      node('c', false, [{ type: 'InternalIP', address: '10.0.3.4' }]),
      node('d', true, [{ type: 'InternalIP', address: '10.0.4.4' }], {
        'node.kubernetes.io/exclude-from-external-load-balancers': '',
      }),
    ];
    expect(buildLoadBalancerIngress(nodes)).toEqual([{ ip: '10.0.2.4' }, { ip: '54.1.2.3' }]);
    const lb = svc({ type: 'LoadBalancer' });
    const [action] = reconcileLoadBalancerStatus([lb], nodes);
    expect(action).toMatchObject({ verb: 'updateStatus', resource: 'services' });
    expect((action as unknown as { object: { status: unknown } }).object.status).toEqual({
      loadBalancer: { ingress: [{ ip: '10.0.2.4' }, { ip: '54.1.2.3' }] },
    });
    const done = { ...lb, status: { loadBalancer: { ingress: [{ ip: '10.0.2.4' }, { ip: '54.1.2.3' }] } } };
    expect(reconcileLoadBalancerStatus([done], nodes)).toEqual([]);
    const noLonger = { ...done, spec: { ...done.spec, type: 'ClusterIP' } };
    expect(reconcileLoadBalancerStatus([noLonger], nodes)).toHaveLength(1);
    const otherClass = { ...lb, spec: { ...lb.spec, loadBalancerClass: 'example.com/lb' } };
    expect(reconcileLoadBalancerStatus([otherClass], nodes)).toEqual([]);
  });
});

describe('EndpointSlice and LoadBalancer controllers against the real API server', () => {
  const f = useControlCluster();
  const slicesR = resourceTypes.endpointslices;
  const slicesOfSl = async () =>
    (await f.c.api.list<EndpointSlice>(slicesR, { namespace: 'default' })).items.filter(
      (s) => s.metadata.labels?.['kubernetes.io/service-name'] === 'sl',
    );

  it('keeps the slices of a Service in step with its pods, and removes them with the Service', async () => {
    await f.c.api.create(resourceTypes.deployments, makeDeployment('sl', 3));
    await f.c.api.create(resourceTypes.services, {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'sl', namespace: 'default' },
      spec: { type: 'LoadBalancer', selector: { app: 'sl' }, ports: [{ port: 80 }] },
    } as Service);
    const ready = await waitFor('3 ready endpoints', async () => {
      const items = await slicesOfSl();
      const eps = items.flatMap((s) => s.endpoints);
      return eps.length === 3 && eps.every((e) => e.conditions?.ready) ? items : undefined;
    });
    const zones = ready.flatMap((s) => s.endpoints.map((e) => e.zone)).sort();
    expect(zones.every((z) => z?.startsWith('zone-'))).toBe(true);
    expect(ready[0]!.metadata.labels?.['endpointslice.kubernetes.io/managed-by']).toBe(
      'endpointslice-controller.k8s.io',
    );

    const table = await f.kubectl('get', 'endpointslices', '-n', 'default');
    expect(table.stdout).toMatch(/NAME\s+ADDRESSTYPE\s+PORTS\s+ENDPOINTS\s+AGE/);
    expect(table.stdout).toMatch(/sl-\w{5}\s+IPv4\s+80\s+10\.244\./);

    const lb = await waitFor('LoadBalancer ingress', async () => {
      const s = await f.c.api.get<Service & { status?: { loadBalancer?: { ingress?: { ip: string }[] } } }>(
        resourceTypes.services,
        'default',
        'sl',
      );
      return s?.status?.loadBalancer?.ingress?.length ? s.status.loadBalancer.ingress : undefined;
    });
    expect(lb).toEqual([{ ip: '127.0.0.1' }]);

    // Someone deletes a managed slice: it comes back.
    await f.c.api.delete(slicesR, 'default', ready[0]!.metadata.name!);
    await waitFor('slice recreated', async () => {
      const s = await f.c.api.get<EndpointSlice>(slicesR, 'default', ready[0]!.metadata.name!);
      return s && s.metadata.uid !== ready[0]!.metadata.uid ? s : undefined;
    });

    await f.c.api.delete(resourceTypes.services, 'default', 'sl');
    await waitFor('slices and Endpoints gone', async () => {
      const ep = await f.c.api.get(resourceTypes.endpoints, 'default', 'sl');
      return (await slicesOfSl()).length === 0 && !ep;
    });
  });

  it('refuses a malformed EndpointSlice with every problem and its path', async () => {
    const bad = await f.c.api
      .create(slicesR, {
        apiVersion: 'discovery.k8s.io/v1',
        kind: 'EndpointSlice',
        metadata: { name: 'bad', namespace: 'default' },
        addressType: 'IPv4',
        endpoints: [{ addresses: ['10.0.0.999'] }, { addresses: [] }],
        ports: [{ name: 'Bad_Name', port: 70000, protocol: 'ICMP' }],
      } as unknown as EndpointSlice)
      .catch((err: { status?: number; message?: string }) => err);
    expect((bad as { status?: number }).status).toBe(422);
    const msg = String((bad as { message?: string }).message);
    expect(msg).toContain(
      'endpoints[0].addresses[0]: Invalid value: "10.0.0.999": must be a valid IPv4 address',
    );
    expect(msg).toContain('endpoints[1].addresses: Required value: must contain at least 1 address');
    expect(msg).toContain('ports[0].port: Invalid value: 70000: must be between 1 and 65535, inclusive');
    expect(msg).toContain('ports[0].protocol: Unsupported value: "ICMP"');
    expect(msg).toContain('ports[0].name: Invalid value: "Bad_Name"');
  });
});
