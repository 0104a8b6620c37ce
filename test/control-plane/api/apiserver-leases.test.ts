import { describe, expect, it } from 'vitest';
import {
  buildKubernetesEndpointSlice,
  buildKubernetesEndpoints,
} from '../../../src/control-plane/api/apiserver-endpoints.js';
import {
  apiServerLeaseName,
  LeaseObserver,
  type ObservedLease,
  parseApiServerLeaseName,
} from '../../../src/control-plane/api/apiserver-leases.js';

describe('API server lease names', () => {
  it('round-trip an endpoint and refuse anything else', () => {
    const e = { address: '10.0.1.23', port: 6443 };
    expect(apiServerLeaseName(e)).toBe('tugboat-apiserver-10.0.1.23-6443');
    expect(parseApiServerLeaseName(apiServerLeaseName(e))).toEqual(e);
    for (const bad of [
      'kube-controller-manager',
      'tugboat-apiserver-',
      'tugboat-apiserver-10.0.1.23',
      'tugboat-apiserver-10.0.1.23-0',
      'tugboat-apiserver-10.0.1.23-65536',
      'tugboat-apiserver-10.0.1-6443',
      'tugboat-apiserver-::1-6443',
      'tugboat-apiserver-host-6443',
    ]) {
      expect(parseApiServerLeaseName(bad), bad).toBeUndefined();
    }
  });
});

describe('LeaseObserver', () => {
  const lease = (name: string, rv: string): ObservedLease => ({
    name,
    resourceVersion: rv,
    endpoint: parseApiServerLeaseName(name)!,
  });
  const names = (l: ObservedLease[]) => l.map((x) => x.name);

  it('judges a lease stale when its resourceVersion has not changed for longer than the duration, on its own clock', () => {
    let now = 1_000;
    const o = new LeaseObserver(15_000, () => now);
    const a = 'tugboat-apiserver-10.0.0.1-6443';
    const b = 'tugboat-apiserver-10.0.0.2-6443';
    expect(names(o.observe([lease(a, '1'), lease(b, '2')]).live)).toEqual([a, b]);
    now += 10_000;
    expect(names(o.observe([lease(a, '5'), lease(b, '2')]).live)).toEqual([a, b]);
    now += 5_001;
    const r = o.observe([lease(a, '5'), lease(b, '2')]);
    expect(names(r.live)).toEqual([a]);
    expect(names(r.stale)).toEqual([b]);
    // Renewed again (new resourceVersion): alive at once.
    expect(names(o.observe([lease(a, '5'), lease(b, '9')]).live)).toEqual([a, b]);
  });

  it('counts a lease first seen as fresh and forgets leases that disappeared', () => {
    let now = 0;
    const o = new LeaseObserver(1_000, () => now);
    const a = 'tugboat-apiserver-10.0.0.1-6443';
    o.observe([lease(a, '1')]);
    now = 5_000;
    expect(names(o.observe([]).live)).toEqual([]);
    expect(names(o.observe([lease(a, '1')]).live)).toEqual([a]);
  });
});

describe('the kubernetes Endpoints builders', () => {
  it('sort addresses numerically, drop duplicates and group by port', () => {
    const ep = buildKubernetesEndpoints([
      { address: '10.0.0.10', port: 6443 },
      { address: '10.0.0.9', port: 6443 },
      { address: '10.0.0.9', port: 6443 },
      { address: '127.0.0.1', port: 80 },
    ]);
    expect(ep.subsets).toEqual([
      { addresses: [{ ip: '127.0.0.1' }], ports: [{ name: 'https', port: 80, protocol: 'TCP' }] },
      {
        addresses: [{ ip: '10.0.0.9' }, { ip: '10.0.0.10' }],
        ports: [{ name: 'https', port: 6443, protocol: 'TCP' }],
      },
    ]);
    const slice = buildKubernetesEndpointSlice([
      { address: '10.0.0.10', port: 6443 },
      { address: '10.0.0.9', port: 6443 },
    ]);
    expect(slice.endpoints).toEqual([
      { addresses: ['10.0.0.9'], conditions: { ready: true } },
      { addresses: ['10.0.0.10'], conditions: { ready: true } },
    ]);
    expect(slice.ports).toEqual([{ name: 'https', port: 6443, protocol: 'TCP' }]);
  });
});
