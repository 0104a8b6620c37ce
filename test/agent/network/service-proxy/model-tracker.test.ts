import { describe, expect, it } from 'vitest';
import { buildServicePorts } from '../../../../src/agent/network/service-proxy/model.js';
import { ServicePortModel } from '../../../../src/agent/network/service-proxy/model-tracker.js';
import type { Endpoints, Service } from '../../../../src/kube/index.js';

const svc = (name: string, ip: string, ports = [{ name: 'http', port: 80 }]): Service =>
  ({ metadata: { namespace: 'ns', name }, spec: { clusterIP: ip, ports } }) as Service;
const eps = (name: string, ...ips: string[]): Endpoints =>
  ({
    metadata: { namespace: 'ns', name },
    subsets: [{ addresses: ips.map((ip) => ({ ip })), ports: [{ name: 'http', port: 8080 }] }],
  }) as Endpoints;

describe('ServicePortModel', () => {
  it('rebuilds only what was marked: other Services keep their port objects; the result equals a rebuild', () => {
    const services = new Map([
      ['ns/b', svc('b', '10.96.0.2')],
      [
        'ns/a',
        svc('a', '10.96.0.1', [
          { name: 'x', port: 1 },
          { name: 'http', port: 80 },
        ]),
      ],
    ]);
    const endpoints = new Map([
      ['ns/a', eps('a', '10.244.0.1')],
      ['ns/b', eps('b', '10.244.0.2')],
    ]);
    const model = new ServicePortModel();
    const first = model.ports(services, endpoints);
    expect(first).toEqual(buildServicePorts(services.values(), endpoints));
    endpoints.set('ns/b', eps('b', '10.244.0.2', '10.244.0.3'));
    // Not marked yet: the model still says what it said.
    expect(model.ports(services, endpoints)).toEqual(first);
    model.markStale('ns/b');
    const second = model.ports(services, endpoints);
    expect(second).toEqual(buildServicePorts(services.values(), endpoints));
    const aPorts = first.filter((p) => p.name === 'a');
    expect(second.filter((p) => p.name === 'a').every((p, i) => p === aPorts[i])).toBe(true);
    expect(second.find((p) => p.name === 'b')).not.toBe(first.find((p) => p.name === 'b'));
  });

  it('drops a deleted Service and rebuilds everything after a relist', () => {
    const services = new Map([['ns/a', svc('a', '10.96.0.1')]]);
    const endpoints = new Map<string, Endpoints>();
    const model = new ServicePortModel();
    expect(model.ports(services, endpoints)).toHaveLength(1);
    services.delete('ns/a');
    model.markStale('ns/a');
    expect(model.ports(services, endpoints)).toEqual([]);
    services.set('ns/c', svc('c', '10.96.0.3'));
    model.markAllStale();
    expect(model.ports(services, endpoints).map((p) => p.name)).toEqual(['c']);
  });
});
