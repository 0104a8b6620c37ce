import { describe, expect, it } from 'vitest';
import {
  buildKubernetesEndpointSlice,
  buildKubernetesEndpoints,
} from '../../../src/control-plane/api/apiserver-endpoints.js';
import {
  apiServerLeaseName,
  LEASE_CLOCK_SKEW_MS,
  LeaseObserver,
  type ObservedLease,
  parseApiServerLeaseName,
  parseRenewTime,
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

describe('LeaseObserver on a lease seen for the first time', () => {
  const WALL = Date.parse('2026-12-04T12:00:00Z');
  const lease = (n: number, renewTimeMs?: number, durationMs?: number): ObservedLease => ({
    name: `tugboat-apiserver-10.0.0.${n}-6443`,
    endpoint: { address: `10.0.0.${n}`, port: 6443 },
    resourceVersion: String(n),
    ...(renewTimeMs !== undefined ? { renewTimeMs } : {}),
    ...(durationMs !== undefined ? { durationMs } : {}),
  });
  const addresses = (l: ObservedLease[]) => l.map((x) => x.endpoint.address);

  it('judges it stale at once when renewTime + duration + skew allowance is past (a restarted observer)', () => {
    let now = 0;
    const o = new LeaseObserver(
      15_000,
      () => now,
      () => WALL,
    );
    const dead = lease(1, WALL - 15_000 - LEASE_CLOCK_SKEW_MS - 1);
    const fresh = lease(2, WALL - 2_000);
    const edge = lease(3, WALL - 15_000 - LEASE_CLOCK_SKEW_MS);
    const first = o.observe([dead, fresh, edge]);
    expect(addresses(first.stale)).toEqual(['10.0.0.1']);
    expect(addresses(first.live)).toEqual(['10.0.0.2', '10.0.0.3']);
    // Still stale on the next pass if its delete failed; a renewal (new resourceVersion) revives it.
    now = 1_000;
    expect(addresses(o.observe([dead, fresh, edge]).stale)).toEqual(['10.0.0.1']);
    const renewed = { ...dead, resourceVersion: '99' };
    expect(addresses(o.observe([renewed, fresh, edge]).live)).toEqual(['10.0.0.1', '10.0.0.2', '10.0.0.3']);
  });

  it('judges a lease created again by a live holder whose clock is far behind as a renewal, not a first sight', () => {
    let now = 0;
    const o = new LeaseObserver(
      15_000,
      () => now,
      () => WALL,
    );
    const behind = (rv: string) => ({ ...lease(1, WALL - 120_000), resourceVersion: rv });
    expect(addresses(o.observe([behind('1')]).stale)).toEqual(['10.0.0.1']);
    // Deleted; the holder's next renewal creates it again, with the same old-looking renewTime.
    now = 5_000;
    expect(o.observe([]).live).toEqual([]);
    now = 10_000;
    expect(addresses(o.observe([behind('7')]).live)).toEqual(['10.0.0.1']);
    // A dead master's deleted lease is forgotten a lease duration later.
    const gone = new LeaseObserver(
      15_000,
      () => now,
      () => WALL,
    );
    now = 0;
    gone.observe([behind('1')]);
    now = 15_001;
    gone.observe([]);
    expect(addresses(gone.observe([behind('7')]).stale)).toEqual(['10.0.0.1']);
  });

  it("uses the lease's own duration when it has one, the observer's otherwise", () => {
    const o = new LeaseObserver(
      15_000,
      () => 0,
      () => WALL,
    );
    const long = lease(1, WALL - 80_000, 60_000);
    const short = lease(2, WALL - 80_000, 10_000);
    const r = o.observe([long, short]);
    expect(addresses(r.live)).toEqual(['10.0.0.1']);
    expect(addresses(r.stale)).toEqual(['10.0.0.2']);
  });

  it('never judges it stale for a renewTime ahead of the clock, or without one; the monotonic clock still applies', () => {
    let now = 0;
    const o = new LeaseObserver(
      15_000,
      () => now,
      () => WALL,
    );
    const ahead = lease(1, WALL + 600_000);
    const none = lease(2);
    expect(addresses(o.observe([ahead, none]).live)).toEqual(['10.0.0.1', '10.0.0.2']);
    now = 15_001;
    expect(addresses(o.observe([ahead, none]).stale)).toEqual(['10.0.0.1', '10.0.0.2']);
  });

  it('reads renewTime as RFC 3339 only', () => {
    expect(parseRenewTime('2026-12-04T15:20:47.123456Z')).toBe(Date.parse('2026-12-04T15:20:47.123Z'));
    expect(parseRenewTime('2026-12-04T16:20:47+01:00')).toBe(Date.parse('2026-12-04T15:20:47Z'));
    for (const bad of [
      undefined,
      null,
      1_796_397_647_000,
      '',
      'yesterday',
      '2026-12-04',
      '2026-12-04T25:00:00Z',
    ]) {
      expect(parseRenewTime(bad), String(bad)).toBeUndefined();
    }
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
