import { describe, expect, it } from 'vitest';
import {
  endpointChain,
  hash16,
  serviceChain,
} from '../../../../src/agent/network/service-proxy/chain-names.js';
import { buildServicePorts } from '../../../../src/agent/network/service-proxy/model.js';
import { type ExistingRules, renderRules } from '../../../../src/agent/network/service-proxy/render.js';
import { parseSavedRules, renderRemoval } from '../../../../src/agent/network/service-proxy/saved-rules.js';
import type { Service } from '../../../../src/kube/index.js';
import { byKey, endpoints, service } from './fixtures.js';

const empty: ExistingRules = { chains: { nat: new Set(), filter: new Set() }, jumps: new Map() };

describe('chain names', () => {
  it('hash as kube-proxy hashes them, so names are stable and fit 28 characters', () => {
    // The same inputs give KUBE-SVC-XPGD46QRK7WJZT7O / KUBE-SEP-SXIVWICOYRO3J4NJ in kube-proxy's own tests.
    expect(serviceChain('ns1/svc1:p80', 'TCP')).toBe('TUGBOAT-SVC-XPGD46QRK7WJZT7O');
    expect(endpointChain('ns1/svc1:p80', 'TCP', '10.180.0.1:80')).toBe('TUGBOAT-SEP-SXIVWICOYRO3J4NJ');
    expect(hash16('')).toHaveLength(16);
    expect(serviceChain('a-very-long-namespace-name/a-very-long-service-name:https', 'UDP').length).toBe(28);
  });
});

describe('buildServicePorts', () => {
  it('pairs Service ports with Endpoints ports by name and keeps readiness', () => {
    const svc = service('web', '10.96.0.20', [
      { name: 'http', port: 80 },
      { name: 'dns', port: 53, protocol: 'UDP' },
    ]);
    const ep = endpoints('web', ['10.244.1.3', '10.244.1.2'], ['10.244.2.9'], [{ name: 'http', port: 8080 }]);
    const ports = buildServicePorts([svc], byKey(ep));
    expect(ports.map((p) => [p.portName, p.protocol, p.endpoints])).toEqual([
      ['dns', 'UDP', []],
      [
        'http',
        'TCP',
        [
          { ip: '10.244.1.2', port: 8080, ready: true },
          { ip: '10.244.1.3', port: 8080, ready: true },
          { ip: '10.244.2.9', port: 8080, ready: false },
        ],
      ],
    ]);
  });

  it('leaves out what iptables cannot express instead of failing the whole set', () => {
    const odd = [
      service('headless', 'None', [{ port: 80 }]),
      service('ext', '10.96.0.5', [{ port: 80 }], { type: 'ExternalName' }),
      service('v6', 'fd00::1', [{ port: 80 }]),
      service('Bad"name', '10.96.0.6', [{ port: 80 }]),
      service('badport', '10.96.0.7', [{ port: 0 }, { port: 70000 }, { port: 80, protocol: 'ICMP' }]),
      { metadata: { name: 'nospec', namespace: 'default' } } as Service,
      service('ok', '10.96.0.8', [{ port: 80, name: 'x y' }, { port: 81 }]),
    ];
    const ports = buildServicePorts(odd, new Map());
    expect(ports.map((p) => `${p.name}:${p.port}`)).toEqual(['ok:81']);
  });

  it('takes ClientIP affinity with its timeout, defaulting to three hours', () => {
    const a = service('a', '10.96.0.2', [{ port: 80 }], { sessionAffinity: 'ClientIP' });
    const b = service('b', '10.96.0.3', [{ port: 80 }], {
      sessionAffinity: 'ClientIP',
      sessionAffinityConfig: { clientIP: { timeoutSeconds: 60 } },
    });
    expect(buildServicePorts([a, b], new Map()).map((p) => p.affinitySeconds)).toEqual([10_800, 60]);
  });
});

describe('renderRules', () => {
  const web = service('web', '10.96.0.20', [{ port: 80, nodePort: 30080 }], { type: 'NodePort' });
  const webEp = endpoints(
    'web',
    ['10.244.1.2', '10.244.1.3', '10.244.1.4'],
    ['10.244.1.5'],
    [{ port: 8080 }],
  );
  const none = service('idle', '10.96.0.21', [{ port: 81, nodePort: 30081 }], { type: 'NodePort' });
  const sticky = service('sticky', '10.96.0.22', [{ name: 'dns', port: 53, protocol: 'UDP' }], {
    sessionAffinity: 'ClientIP',
    sessionAffinityConfig: { clientIP: { timeoutSeconds: 600 } },
  });
  const stickyEp = endpoints(
    'sticky',
    ['10.244.2.2', '10.244.2.3'],
    [],
    [{ name: 'dns', port: 5353, protocol: 'UDP' }],
  );
  const lb = service('lb', '10.96.0.23', [{ port: 443, nodePort: 30443 }], { type: 'LoadBalancer' });
  (lb as unknown as { status: unknown }).status = { loadBalancer: { ingress: [{ ip: '203.0.113.7' }] } };
  const lbEp = endpoints('lb', ['10.244.3.2'], [], [{ port: 8443 }]);

  it('renders the kube-proxy layout (golden)', () => {
    const ports = buildServicePorts([web, none, sticky, lb], byKey(webEp, stickyEp, lbEp));
    const out = renderRules(ports, empty, { clusterCidr: '10.244.0.0/16', nodeIPs: ['192.168.77.1'] });
    expect(out.text).toMatchSnapshot();
  });

  it('balances over ready endpoints only, with probabilities 1/n, 1/(n-1), …', () => {
    const out = renderRules(buildServicePorts([web], byKey(webEp)), empty).text;
    const picks = out.split('\n').filter((l) => l.startsWith('-A TUGBOAT-SVC-') && l.includes('->'));
    expect(picks).toHaveLength(3);
    expect(picks[0]).toContain('--probability 0.3333333333');
    expect(picks[1]).toContain('--probability 0.5000000000');
    expect(picks[2]).not.toContain('statistic');
    expect(out).not.toContain('10.244.1.5');
  });

  it('rejects traffic to a Service without ready endpoints instead of routing it', () => {
    const out = renderRules(buildServicePorts([none], new Map()), empty).text;
    expect(out).toContain(
      '-A TUGBOAT-SERVICES -m comment --comment "default/idle has no endpoints" -p tcp -m tcp -d 10.96.0.21/32 --dport 81 -j REJECT',
    );
    expect(out).toContain('-m addrtype --dst-type LOCAL -p tcp -m tcp --dport 30081 -j REJECT');
    expect(out).not.toContain('TUGBOAT-SVC-');
  });

  it('keeps the node-port jump last in TUGBOAT-SERVICES', () => {
    const out = renderRules(buildServicePorts([web, lb], byKey(webEp, lbEp)), empty).text;
    const services = out.split('\n').filter((l) => l.startsWith('-A TUGBOAT-SERVICES '));
    expect(services.at(-1)).toContain('-j TUGBOAT-NODEPORTS');
  });

  it('deletes the proxy’s stale chains, never anyone else’s (the pod network’s TUGBOAT- chains included), and inserts each missing jump once', () => {
    const saved = [
      '*filter',
      ':FORWARD DROP [0:0]',
      ':DOCKER-USER - [0:0]',
      '-A FORWARD -j DOCKER-USER',
      '-A FORWARD -m comment --comment "tugboat forwarding rules" -j TUGBOAT-PROXY-FORWARD',
      '-A FORWARD -m comment --comment "tugboat forwarding rules" -j TUGBOAT-PROXY-FORWARD',
      ':TUGBOAT-PROXY-FORWARD - [0:0]',
      'COMMIT',
      '*nat',
      ':TUGBOAT-SVC-OLDOLDOLDOLDOLDO - [0:0]',
      ':DOCKER - [0:0]',
      ':TUGBOAT-POD-MASQ - [0:0]',
      '-A POSTROUTING -j TUGBOAT-POD-MASQ',
      '-A PREROUTING -m comment --comment "tugboat service portals" -j TUGBOAT-SERVICES',
      'COMMIT',
    ].join('\n');
    const out = renderRules([], parseSavedRules(saved)).text;
    expect(out).toContain('-X TUGBOAT-SVC-OLDOLDOLDOLDOLDO');
    expect(out).not.toMatch(/DOCKER|POD-MASQ/);
    expect(out).toContain(
      '-D FORWARD -m comment --comment "tugboat forwarding rules" -j TUGBOAT-PROXY-FORWARD',
    );
    expect(out.match(/-I FORWARD 1 .*-j TUGBOAT-PROXY-FORWARD/g)).toBeNull();
    expect(out.match(/-I PREROUTING/g)).toBeNull();
    expect(out.match(/-I OUTPUT 1 .*-j TUGBOAT-SERVICES/g)).toHaveLength(2);
  });

  it('with the previous contents, rewrites only the chains a change touches', () => {
    const first = renderRules(buildServicePorts([web, sticky], byKey(webEp, stickyEp)), empty);
    const fewer = endpoints('web', ['10.244.1.2', '10.244.1.3'], [], [{ port: 8080 }]);
    const known: ExistingRules = { chains: first.chains, jumps: new Map() };
    const out = renderRules(
      buildServicePorts([web, sticky], byKey(fewer, stickyEp)),
      known,
      {},
      first.contents,
    ).text;
    const declared = out.split('\n').filter((l) => l.startsWith(':'));
    // web's SVC chain changed and one SEP chain went; sticky's chains and the other SEPs are untouched.
    expect(declared).toContain(`:${serviceChain('default/web', 'TCP')} - [0:0]`);
    expect(out).toContain(`-X ${endpointChain('default/web', 'TCP', '10.244.1.4:8080')}`);
    expect(out).not.toContain(serviceChain('default/sticky:dns', 'UDP'));
    expect(out).not.toContain(`:${endpointChain('default/web', 'TCP', '10.244.1.2:8080')}`);
    expect(declared.length).toBeLessThan(6);
  });

  it('renders the same text whatever order the caches hand objects over in', () => {
    const a = buildServicePorts([web, sticky, lb], byKey(webEp, stickyEp, lbEp));
    const b = buildServicePorts([lb, sticky, web], byKey(lbEp, webEp, stickyEp));
    expect(renderRules(b, empty).text).toBe(renderRules(a, empty).text);
  });
});

describe('renderRemoval', () => {
  it('deletes jumps first, then flushes and deletes only our chains', () => {
    const saved = [
      '*nat',
      ':TUGBOAT-SERVICES - [0:0]',
      ':DOCKER - [0:0]',
      '-A OUTPUT -m comment --comment "tugboat service portals" -j TUGBOAT-SERVICES',
      '-A OUTPUT -j DOCKER',
      'COMMIT',
    ].join('\n');
    expect(renderRemoval(parseSavedRules(saved))).toBe(
      [
        '*filter',
        'COMMIT',
        '*nat',
        '-D OUTPUT -m comment --comment "tugboat service portals" -j TUGBOAT-SERVICES',
        ':TUGBOAT-SERVICES - [0:0]',
        '-X TUGBOAT-SERVICES',
        'COMMIT',
        '',
      ].join('\n'),
    );
  });
});
