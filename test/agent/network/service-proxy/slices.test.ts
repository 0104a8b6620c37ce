import { describe, expect, it } from 'vitest';
import { buildServicePorts } from '../../../../src/agent/network/service-proxy/model.js';
import { SliceIndex } from '../../../../src/agent/network/service-proxy/slice-index.js';
import type { EndpointSlice } from '../../../../src/kube/index.js';
import { endpointSlice, service } from './fixtures.js';

const web = service('web', '10.96.0.10', [{ name: 'http', port: 80 }]);
const http = [{ name: 'http', port: 8080 }];
const endpointsOf = (slices: EndpointSlice[]) =>
  buildServicePorts([web], new Map([['default/web', slices]]))[0]?.endpoints;

describe('service ports from EndpointSlices', () => {
  it('joins every slice of the Service, keeps ready ones in the rotation and lists the rest as not ready', () => {
    const eps = endpointsOf([
      endpointSlice('web', 'web-b', ['10.244.1.2', { ip: '10.244.1.3', ready: false }], http),
      endpointSlice('web', 'web-a', ['10.244.0.9'], http),
    ]);
    expect(eps).toEqual([
      { ip: '10.244.0.9', port: 8080, ready: true },
      { ip: '10.244.1.2', port: 8080, ready: true },
      { ip: '10.244.1.3', port: 8080, ready: false },
    ]);
  });

  it('reads an unset ready condition as ready, as the EndpointSlice API asks consumers to', () => {
    expect(endpointsOf([endpointSlice('web', 'w', [{ ip: '10.244.0.4' }], http)])).toEqual([
      { ip: '10.244.0.4', port: 8080, ready: true },
    ]);
  });

  it('falls back to serving, terminating endpoints only when none is ready', () => {
    const draining = { ip: '10.244.0.5', ready: false, serving: true, terminating: true };
    const gone = { ip: '10.244.0.6', ready: false, serving: false, terminating: true };
    expect(endpointsOf([endpointSlice('web', 'w', [draining, gone], http)])).toEqual([
      { ip: '10.244.0.5', port: 8080, ready: true },
      { ip: '10.244.0.6', port: 8080, ready: false },
    ]);
    expect(endpointsOf([endpointSlice('web', 'w', [draining, '10.244.0.7'], http)])).toEqual([
      { ip: '10.244.0.5', port: 8080, ready: false },
      { ip: '10.244.0.7', port: 8080, ready: true },
    ]);
  });

  it('uses the port of the same name and protocol, skips IPv6/FQDN slices and odd entries', () => {
    const odd = {
      ...endpointSlice('web', 'odd', ['10.244.0.8'], http),
      endpoints: [null, { addresses: 'x' }, { addresses: ['not-an-ip'] }, { addresses: ['10.244.0.8'] }],
    } as unknown as EndpointSlice;
    expect(
      endpointsOf([
        endpointSlice('web', 'v6', ['fd00::1'], http, 'IPv6'),
        endpointSlice('web', 'other-port', ['10.244.0.1'], [{ name: 'metrics', port: 9090 }]),
        endpointSlice('web', 'udp', ['10.244.0.2'], [{ name: 'http', port: 8080, protocol: 'UDP' }]),
        odd,
      ]),
    ).toEqual([{ ip: '10.244.0.8', port: 8080, ready: true }]);
  });

  it('lists an address found in two slices once, the usable copy winning', () => {
    expect(
      endpointsOf([
        endpointSlice('web', 'a', [{ ip: '10.244.0.3', ready: false }], http),
        endpointSlice('web', 'b', ['10.244.0.3'], http),
      ]),
    ).toEqual([{ ip: '10.244.0.3', port: 8080, ready: true }]);
  });
});

describe('SliceIndex', () => {
  it('groups slices by the Service their label names and reports every Service a change touches', () => {
    const index = new SliceIndex();
    expect(index.apply('ADDED', endpointSlice('web', 'web-1', ['10.244.0.1'], http))).toEqual([
      'default/web',
    ]);
    expect(index.apply('ADDED', endpointSlice('web', 'web-2', ['10.244.0.2'], http))).toEqual([
      'default/web',
    ]);
    expect(index.get('default/web')?.map((s) => s.metadata.name)).toEqual(['web-1', 'web-2']);
    // Relabelled to another Service: both Services are stale.
    expect(index.apply('MODIFIED', endpointSlice('api', 'web-2', ['10.244.0.2'], http))).toEqual([
      'default/web',
      'default/api',
    ]);
    expect(index.get('default/web')?.map((s) => s.metadata.name)).toEqual(['web-1']);
    expect(index.apply('DELETED', endpointSlice('web', 'web-1', [], http))).toEqual(['default/web']);
    expect(index.get('default/web')).toBeUndefined();
    const unlabelled = endpointSlice('web', 'stray', [], http);
    delete unlabelled.metadata.labels;
    expect(index.apply('ADDED', unlabelled)).toEqual([]);
    index.replace([endpointSlice('db', 'db-1', ['10.244.0.9'], http)]);
    expect(index.get('default/api')).toBeUndefined();
    expect(index.get('default/db')).toHaveLength(1);
  });
});
