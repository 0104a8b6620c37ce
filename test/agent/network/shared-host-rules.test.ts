import { describe, expect, it } from 'vitest';
import { buildDesiredHostNetwork } from '../../../src/agent/network/host-network.js';
import { planHostNetwork } from '../../../src/agent/network/host-plan.js';
import type { HostPortMapping } from '../../../src/agent/network/host-ports.js';
import {
  defaultPodRulesScope,
  hostPortsChainFor,
  parseSavedPodRules,
  renderPodRules,
  renderPodRulesRemoval,
} from '../../../src/agent/network/pod-rules.js';
import type { Node } from '../../../src/kube/index.js';

const cidr = '10.244.0.0/16';
const mapping: HostPortMapping = {
  pod: 'default/web',
  protocol: 'tcp',
  hostPort: 18080,
  podIP: '10.244.2.5',
  containerPort: 8080,
};
const nodes: Node[] = [1, 2].map((i) => ({
  apiVersion: 'v1',
  kind: 'Node',
  metadata: {
    name: `local-${i}`,
    annotations: { 'tugboat.dev/vtep-mac': `02:00:00:00:00:0${i}`, 'tugboat.dev/underlay-ip': '127.0.0.1' },
  },
  spec: { podCIDR: `10.244.${i}.0/24` },
}));

describe('several agents in one network namespace (tugboat local up)', () => {
  it('names the host-port chain after the bridge, keeping TUGBOAT-HOSTPORTS for tugboat0', () => {
    expect(hostPortsChainFor('tugboat0')).toBe('TUGBOAT-HOSTPORTS');
    expect(hostPortsChainFor('tugboat-l2')).toBe('TUGBOAT-HP-TUGBOAT-L2');
  });

  it('an agent without the shared rules writes only its host-port chain and its two jumps', () => {
    const scope = { shared: false, hostPortsChain: 'TUGBOAT-HP-TUGBOAT-L2' };
    const text = renderPodRules(cidr, parseSavedPodRules('', scope), [mapping], scope);
    expect(text).not.toContain('TUGBOAT-POD-');
    expect(text).not.toContain('*filter');
    expect(text).not.toMatch(/TUGBOAT-HOSTPORTS\b/);
    expect(text).toContain(':TUGBOAT-HP-TUGBOAT-L2 - [0:0]');
    expect(text).toContain(
      '-A TUGBOAT-HP-TUGBOAT-L2 -p tcp -m tcp --dport 18080 -m comment --comment "default/web hostPort 18080" -j DNAT --to-destination 10.244.2.5:8080',
    );
    expect(text).toContain('-I PREROUTING 1 -m addrtype --dst-type LOCAL -j TUGBOAT-HP-TUGBOAT-L2');
    expect(text).toContain('-I OUTPUT 1 -m addrtype --dst-type LOCAL -j TUGBOAT-HP-TUGBOAT-L2');
  });

  it('reads only its own chain back: another agent’s jumps are neither counted nor removed', () => {
    const saved = [
      '*nat',
      ':TUGBOAT-HP-TUGBOAT-L1 - [0:0]',
      ':TUGBOAT-HP-TUGBOAT-L2 - [0:0]',
      ':TUGBOAT-POD-MASQ - [0:0]',
      '-A PREROUTING -m addrtype --dst-type LOCAL -j TUGBOAT-HP-TUGBOAT-L1',
      '-A PREROUTING -m addrtype --dst-type LOCAL -j TUGBOAT-HP-TUGBOAT-L2',
      '-A OUTPUT -m addrtype --dst-type LOCAL -j TUGBOAT-HP-TUGBOAT-L2',
      '-A OUTPUT -m addrtype --dst-type LOCAL -j TUGBOAT-HP-TUGBOAT-L2',
      '-A POSTROUTING -j TUGBOAT-POD-MASQ',
      'COMMIT',
    ].join('\n');
    const scope = { shared: false, hostPortsChain: 'TUGBOAT-HP-TUGBOAT-L2' };
    const parsed = parseSavedPodRules(saved, scope);
    expect([...parsed.chains]).toEqual(['TUGBOAT-HP-TUGBOAT-L2']);
    // The duplicated OUTPUT jump is removed once, the missing nothing is added.
    const text = renderPodRules(cidr, parsed, 'keep', scope);
    expect(text.match(/^-D OUTPUT .*$/gm)).toEqual([
      '-D OUTPUT -m addrtype --dst-type LOCAL -j TUGBOAT-HP-TUGBOAT-L2',
    ]);
    expect(text).not.toMatch(/^-I /m);
    expect(text).not.toContain(':TUGBOAT-HP-TUGBOAT-L2'); // keep: an existing chain is not flushed
    const removal = renderPodRulesRemoval(parsed, scope) ?? '';
    expect(removal).not.toContain('TUGBOAT-HP-TUGBOAT-L1');
    expect(removal).not.toContain('TUGBOAT-POD-MASQ');
    expect(removal).toContain('-X TUGBOAT-HP-TUGBOAT-L2');
    expect(removal.match(/^-D /gm)).toHaveLength(3);
  });

  it('the default scope renders what a cluster host has always had', () => {
    const text = renderPodRules(cidr, parseSavedPodRules(''), [], defaultPodRulesScope);
    for (const chain of ['TUGBOAT-POD-MASQ', 'TUGBOAT-HOSTPORTS', 'TUGBOAT-POD-FORWARD', 'TUGBOAT-POD-INPUT'])
      expect(text).toContain(`:${chain} - [0:0]`);
    expect(text).toBe(renderPodRules(cidr, parseSavedPodRules('')));
  });

  it('without VXLAN the plan is the agent’s own bridge only, and never touches tugboat.1', () => {
    const layout = { bridge: 'tugboat-l2', vxlan: false };
    const desired = buildDesiredHostNetwork('local-2', nodes, '127.0.0.1', layout);
    expect(desired).toEqual({ bridge: 'tugboat-l2', bridgeAddress: '10.244.2.1/24' });
    const observedVxlan = {
      vni: 1,
      port: 8472,
      local: '10.0.0.9',
      mac: '02:00:00:00:00:09',
      addresses: [],
      up: true,
    };
    expect(planHostNetwork(desired!, { vxlan: observedVxlan, fdb: [], neighbours: [], routes: [] })).toEqual([
      { op: 'addBridge', name: 'tugboat-l2' },
      { op: 'setAddress', device: 'tugboat-l2', address: '10.244.2.1/24' },
      { op: 'setUp', device: 'tugboat-l2' },
    ]);
    expect(
      planHostNetwork(desired!, {
        bridge: { addresses: ['10.244.2.1/24'], up: true },
        fdb: [],
        neighbours: [],
        routes: [],
      }),
    ).toEqual([]);
  });

  it('with VXLAN (the default) peers still come from the Node list', () => {
    const desired = buildDesiredHostNetwork('local-1', nodes, '10.0.0.4');
    expect(desired?.bridge).toBe('tugboat0');
    expect(desired?.vxlan).toEqual({
      local: '10.0.0.4',
      address: '10.244.1.0/32',
      peers: [
        {
          node: 'local-2',
          podCidr: '10.244.2.0/24',
          vtepIp: '10.244.2.0',
          vtepMac: '02:00:00:00:00:02',
          underlayIp: '127.0.0.1',
        },
      ],
    });
  });
});
