import { describe, expect, it } from 'vitest';
import { ClusterZone } from '../../../../src/agent/network/dns/records.js';
import { addressOfReverseName, reverseAnswer } from '../../../../src/agent/network/dns/reverse.js';
import type { EndpointSlice, Endpoints, Service } from '../../../../src/kube/index.js';

function svc(ns: string, name: string, spec: Record<string, unknown>): Service {
  return { apiVersion: 'v1', kind: 'Service', metadata: { namespace: ns, name }, spec } as Service;
}

function eps(ns: string, name: string, subsets: unknown[]): Endpoints {
  return { apiVersion: 'v1', kind: 'Endpoints', metadata: { namespace: ns, name }, subsets } as Endpoints;
}

function zoneOf(services: Service[], endpoints: Endpoints[]): ClusterZone {
  return new ClusterZone({
    services: new Map(services.map((s) => [`${s.metadata.namespace}/${s.metadata.name}`, s])),
    endpoints: new Map(endpoints.map((e) => [`${e.metadata.namespace}/${e.metadata.name}`, e])),
  });
}

const zone = zoneOf(
  [
    svc('shop', 'web', {
      clusterIP: '10.96.0.20',
      ports: [
        { name: 'http', port: 80, protocol: 'TCP' },
        { name: 'dns', port: 53, protocol: 'UDP' },
        { port: 9000 },
      ],
    }),
    svc('shop', 'db', { clusterIP: 'None', ports: [{ name: 'pg', port: 5432 }] }),
    svc('shop', 'empty', { clusterIP: 'None', ports: [{ name: 'pg', port: 5432 }] }),
    svc('shop', 'ext', { type: 'ExternalName', externalName: 'example.org' }),
  ],
  [
    eps('shop', 'db', [
      {
        addresses: [{ ip: '10.244.1.5', hostname: 'db-0' }, { ip: '10.244.2.7' }],
        notReadyAddresses: [{ ip: '10.244.2.9', hostname: 'db-2' }],
        ports: [{ name: 'pg', port: 5432, protocol: 'TCP' }],
      },
    ]),
    eps('shop', 'empty', [
      { notReadyAddresses: [{ ip: '10.244.1.9' }], ports: [{ name: 'pg', port: 5432 }] },
    ]),
  ],
);

describe('ClusterZone (CoreDNS kubernetes plugin behaviour)', () => {
  it('answers a ClusterIP Service with its cluster IP, any case, with or without the root dot', () => {
    for (const q of ['web.shop.svc.cluster.local', 'WEB.Shop.svc.cluster.local.']) {
      const r = zone.answer(q, 'A');
      expect(r.rcode).toBe('NOERROR');
      expect(r.answers).toEqual([
        { name: 'web.shop.svc.cluster.local', type: 'A', ttl: 5, data: '10.96.0.20' },
      ]);
    }
  });

  it('answers a headless Service with its ready endpoints only', () => {
    const r = zone.answer('db.shop.svc.cluster.local', 'A');
    expect(r.answers.map((a) => a.data)).toEqual(['10.244.1.5', '10.244.2.7']);
  });

  it('names headless endpoints by hostname or by dashed address', () => {
    expect(zone.answer('db-0.db.shop.svc.cluster.local', 'A').answers.map((a) => a.data)).toEqual([
      '10.244.1.5',
    ]);
    expect(zone.answer('10-244-2-7.db.shop.svc.cluster.local', 'A').answers.map((a) => a.data)).toEqual([
      '10.244.2.7',
    ]);
    // Not ready: no record.
    expect(zone.answer('db-2.db.shop.svc.cluster.local', 'A').rcode).toBe('NXDOMAIN');
    // A ClusterIP Service has no per-endpoint names.
    expect(zone.answer('x.web.shop.svc.cluster.local', 'A').rcode).toBe('NXDOMAIN');
  });

  it('serves SRV for named ports: the Service name for a ClusterIP, each endpoint for headless', () => {
    const web = zone.answer('_http._tcp.web.shop.svc.cluster.local', 'SRV');
    expect(web.answers).toEqual([
      {
        name: '_http._tcp.web.shop.svc.cluster.local',
        type: 'SRV',
        ttl: 5,
        data: { priority: 0, weight: 100, port: 80, target: 'web.shop.svc.cluster.local' },
      },
    ]);
    expect(web.additionals).toEqual([
      { name: 'web.shop.svc.cluster.local', type: 'A', ttl: 5, data: '10.96.0.20' },
    ]);
    expect(zone.answer('_dns._udp.web.shop.svc.cluster.local', 'SRV').answers[0]?.data).toMatchObject({
      port: 53,
    });
    expect(zone.answer('_dns._tcp.web.shop.svc.cluster.local', 'SRV').rcode).toBe('NXDOMAIN');
    const db = zone.answer('_pg._tcp.db.shop.svc.cluster.local', 'SRV');
    expect(db.answers.map((a) => (a.type === 'SRV' ? a.data.target : ''))).toEqual([
      'db-0.db.shop.svc.cluster.local',
      '10-244-2-7.db.shop.svc.cluster.local',
    ]);
    expect(db.answers.map((a) => (a.type === 'SRV' ? a.data.weight : 0))).toEqual([50, 50]);
    expect(db.additionals.map((a) => a.data)).toEqual(['10.244.1.5', '10.244.2.7']);
    // SRV on the Service name lists every named port (the unnamed one has no SRV name).
    expect(zone.answer('web.shop.svc.cluster.local', 'SRV').answers).toHaveLength(2);
  });

  it('tells NODATA (name exists, no such record) from NXDOMAIN (no such name)', () => {
    const nodata = [
      ['web.shop.svc.cluster.local', 'AAAA'],
      ['_http._tcp.web.shop.svc.cluster.local', 'A'],
      ['shop.svc.cluster.local', 'A'],
      ['svc.cluster.local', 'A'],
      ['cluster.local', 'A'],
      ['db-0.db.shop.svc.cluster.local', 'AAAA'],
      ['10-244-3-4.shop.pod.cluster.local', 'TXT'],
    ];
    for (const [q, t] of nodata) {
      const r = zone.answer(q ?? '', t ?? '');
      expect({ q, t, rcode: r.rcode, n: r.answers.length }).toEqual({ q, t, rcode: 'NOERROR', n: 0 });
      expect(r.authorities[0]?.type).toBe('SOA');
    }
    const nx = [
      'nope.shop.svc.cluster.local',
      'web.other.svc.cluster.local',
      'other.svc.cluster.local',
      'a.b.c.web.shop.svc.cluster.local',
      'web.shop.cluster.local',
      'empty.shop.svc.cluster.local',
      '_pg._tcp.empty.shop.svc.cluster.local',
      '999-1-1-1.shop.pod.cluster.local',
      'web.shop.svc.cluster.local.shop.svc.cluster.local',
    ];
    for (const q of nx) {
      const r = zone.answer(q, 'A');
      expect({ q, rcode: r.rcode }).toEqual({ q, rcode: 'NXDOMAIN' });
      expect(r.authorities[0]?.type).toBe('SOA');
    }
  });

  it('answers pod names from the address in them (pods insecure), ExternalName with a CNAME, and SOA/NS at the apex', () => {
    expect(zone.answer('10-244-3-4.shop.pod.cluster.local', 'A').answers[0]?.data).toBe('10.244.3.4');
    expect(zone.answer('ext.shop.svc.cluster.local', 'A').answers).toEqual([
      { name: 'ext.shop.svc.cluster.local', type: 'CNAME', ttl: 5, data: 'example.org' },
    ]);
    expect(zone.answer('cluster.local', 'SOA').answers[0]).toMatchObject({
      type: 'SOA',
      data: { mname: 'ns.dns.cluster.local', rname: 'hostmaster.cluster.local', minimum: 5 },
    });
    expect(zone.answer('cluster.local', 'NS').answers[0]?.data).toBe('ns.dns.cluster.local');
  });

  it('skips malformed stored objects instead of failing', () => {
    const junk = zoneOf(
      [
        svc('x', 'a', { clusterIP: 'None', ports: [{ name: 'p', port: 'eighty' }, null] }),
        svc('x', 'b', { clusterIP: 'not-an-ip' }),
      ],
      [
        eps('x', 'a', [
          null,
          { addresses: [{ ip: '1.2.3' }, { ip: '10.0.0.1', hostname: 'BAD NAME' }, null] },
        ]),
      ],
    );
    expect(junk.answer('a.x.svc.cluster.local', 'A').answers.map((a) => a.data)).toEqual(['10.0.0.1']);
    expect(junk.answer('10-0-0-1.a.x.svc.cluster.local', 'A').answers).toHaveLength(1);
    expect(junk.answer('b.x.svc.cluster.local', 'A').rcode).toBe('NOERROR');
    expect(junk.answer('b.x.svc.cluster.local', 'A').answers).toEqual([]);
    expect(junk.answer('a.x.svc.cluster.local', 'SRV').answers).toEqual([]);
  });
});

describe('reverse lookups (CoreDNS kubernetes plugin over in-addr.arpa, with fallthrough)', () => {
  const ptr = (name: string, type = 'PTR') => reverseAnswer(zone, name, type);

  it("names a Service's cluster IP", () => {
    expect(ptr('20.0.96.10.in-addr.arpa')?.answers).toEqual([
      { name: '20.0.96.10.in-addr.arpa', type: 'PTR', ttl: 5, data: 'web.shop.svc.cluster.local' },
    ]);
  });

  it('names a ready endpoint by its hostname, else by its dashed address, under each Service', () => {
    expect(ptr('5.1.244.10.in-addr.arpa')?.answers.map((r) => r.data)).toEqual([
      'db-0.db.shop.svc.cluster.local',
    ]);
    expect(ptr('7.2.244.10.in-addr.arpa')?.answers.map((r) => r.data)).toEqual([
      '10-244-2-7.db.shop.svc.cluster.local',
    ]);
  });

  it('leaves to the upstream what the cluster does not know: not-ready endpoints, other addresses', () => {
    expect(ptr('9.2.244.10.in-addr.arpa')).toBeUndefined();
    expect(ptr('1.2.0.192.in-addr.arpa')).toBeUndefined();
  });

  it('answers NODATA for other types of a known address', () => {
    const r = ptr('20.0.96.10.in-addr.arpa', 'A');
    expect(r?.rcode).toBe('NOERROR');
    expect(r?.answers).toEqual([]);
    expect(r?.authorities[0]?.type).toBe('SOA');
  });

  it('reads only whole IPv4 reverse names', () => {
    expect(addressOfReverseName('20.0.96.10.in-addr.arpa')).toBe('10.96.0.20');
    for (const bad of [
      '0.96.10.in-addr.arpa',
      '1.20.0.96.10.in-addr.arpa',
      '256.0.96.10.in-addr.arpa',
      'in-addr.arpa',
      'x.0.96.10.in-addr.arpa',
      '20.0.96.10.example.org',
    ])
      expect(addressOfReverseName(bad), bad).toBeUndefined();
  });
});

describe('ClusterZone from EndpointSlices', () => {
  const slice = (name: string, endpoints: unknown[], addressType = 'IPv4'): EndpointSlice =>
    ({
      metadata: { namespace: 'shop', name, labels: { 'kubernetes.io/service-name': 'db' } },
      addressType,
      endpoints,
      ports: [{ name: 'pg', port: 5432, protocol: 'TCP' }],
    }) as EndpointSlice;
  const sliced = new ClusterZone({
    services: new Map([
      ['shop/db', svc('shop', 'db', { clusterIP: 'None', ports: [{ name: 'pg', port: 5432 }] })],
    ]),
    endpoints: new Map([
      [
        'shop/db',
        [
          slice('db-a', [
            { addresses: ['10.244.1.5'], hostname: 'db-0', conditions: { ready: true } },
            { addresses: ['10.244.2.9'], hostname: 'db-2', conditions: { ready: false, serving: true } },
          ]),
          slice('db-b', [{ addresses: ['10.244.2.7'] }, { addresses: ['10.244.1.5'], hostname: 'db-0' }]),
          slice('db-v6', [{ addresses: ['fd00::1'] }], 'IPv6'),
        ],
      ],
    ]),
  });

  it('answers a headless Service with the ready endpoints of all its IPv4 slices, each address once', () => {
    expect(sliced.answer('db.shop.svc.cluster.local', 'A').answers.map((a) => a.data)).toEqual([
      '10.244.1.5',
      '10.244.2.7',
    ]);
    expect(sliced.answer('db-0.db.shop.svc.cluster.local', 'A').answers.map((a) => a.data)).toEqual([
      '10.244.1.5',
    ]);
    expect(sliced.answer('db-2.db.shop.svc.cluster.local', 'A').rcode).toBe('NXDOMAIN');
    expect(sliced.answer('_pg._tcp.db.shop.svc.cluster.local', 'SRV').answers).toHaveLength(2);
    expect(reverseAnswer(sliced, '7.2.244.10.in-addr.arpa', 'PTR')?.answers.map((a) => a.data)).toEqual([
      '10-244-2-7.db.shop.svc.cluster.local',
    ]);
  });
});
