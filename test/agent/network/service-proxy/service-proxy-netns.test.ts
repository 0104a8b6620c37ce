/**
 * The service proxy's rules in a real kernel: a node namespace with veth pods (see netns-lab.ts),
 * rules applied with iptables-restore inside it, traffic from a pod, the node and an outside client.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commandIptables } from '../../../../src/agent/network/service-proxy/iptables.js';
import { buildServicePorts } from '../../../../src/agent/network/service-proxy/model.js';
import { RuleSyncer, removeServiceRules } from '../../../../src/agent/network/service-proxy/sync-rules.js';
import type { Endpoints, Service } from '../../../../src/kube/index.js';
import { byKey, endpoints, service } from './fixtures.js';
import { NetnsLab } from './netns-lab.js';

const lab = new NetnsLab('a');
const iptables = () => commandIptables({ prefix: ['nsenter', `--net=/run/netns/${lab.node}`] });
const options = { clusterCidr: '10.244.0.0/16', nodeIPs: ['192.168.77.1'] };

const web = service(
  'web',
  '10.96.0.20',
  [
    { name: 'http', port: 80, nodePort: 30080 },
    { name: 'line', port: 9000 },
  ],
  {
    type: 'NodePort',
  },
);
const sticky = service('sticky', '10.96.0.21', [{ port: 80 }], { sessionAffinity: 'ClientIP' });
const idle = service('idle', '10.96.0.22', [{ port: 80, nodePort: 30082 }], { type: 'NodePort' });
const lb = service('lb', '10.96.0.23', [{ port: 8888, nodePort: 30083 }], { type: 'LoadBalancer' });

function webEndpoints(ready: string[], notReady: string[] = []): Endpoints {
  return endpoints('web', ready, notReady, [
    { name: 'http', port: 8080 },
    { name: 'line', port: 9000 },
  ]);
}

function state(services: Service[], eps: Endpoints[]) {
  return buildServicePorts(services, byKey(...eps));
}

const PROXY = /TUGBOAT-(SERVICES|NODEPORTS|PROXY-|MARK-MASQ|EXTERNAL-SERVICES|SVC-|SEP-|EXT-)/;

/** Everything in the node's nat and filter tables that is not the proxy's, counters dropped. */
function foreignRules(): string[] {
  return lab
    .inNode('iptables-save')
    .split('\n')
    .filter((l) => !PROXY.test(l) && !l.startsWith('#'))
    .map((l) => l.replace(/\[\d+:\d+\]/, ''));
}

function ourRules(): string[] {
  return lab
    .inNode('iptables-save')
    .split('\n')
    .filter((l) => PROXY.test(l))
    .map((l) => l.replace(/\[\d+:\d+\]/, ''));
}

const all = () => lab.pods.map((p) => p.ip);

describe('service proxy rules in a network namespace', () => {
  let before: string[] = [];

  beforeAll(async () => {
    await lab.create(3);
    // Stand-ins for another owner's rules (Docker's): they must come through every sync untouched.
    lab.inNode('iptables', '-t', 'nat', '-N', 'DOCKER');
    lab.inNode(
      'iptables',
      '-t',
      'nat',
      '-A',
      'PREROUTING',
      '-m',
      'addrtype',
      '--dst-type',
      'LOCAL',
      '-j',
      'DOCKER',
    );
    lab.inNode('iptables', '-A', 'FORWARD', '-i', 'docker0', '-j', 'ACCEPT');
    // …and the pod network's own chain under the shared TUGBOAT- prefix.
    lab.inNode('iptables', '-t', 'nat', '-N', 'TUGBOAT-POD-MASQ');
    lab.inNode('iptables', '-t', 'nat', '-A', 'POSTROUTING', '-j', 'TUGBOAT-POD-MASQ');
    before = foreignRules();
  }, 60_000);

  afterAll(async () => {
    await lab.destroy();
  });

  it('routes a cluster IP from a pod, the node and a node port from outside, over every ready endpoint', async () => {
    const ports = state([web], [webEndpoints(all())]);
    await new RuleSyncer(iptables(), options).sync(ports, true);
    const fromPod = await lab.fetchFrom(lab.pods[0]!.netns, 'http://10.96.0.20:80/', 45);
    expect(new Set(fromPod)).toEqual(new Set(['pod-1', 'pod-2', 'pod-3']));
    const fromNode = await lab.fetchFrom(lab.node, 'http://10.96.0.20:80/', 30);
    expect(fromNode.every((a) => a.startsWith('pod-'))).toBe(true);
    const outside = await lab.fetchFrom(lab.client, 'http://192.168.77.1:30080/', 45);
    expect(new Set(outside)).toEqual(new Set(['pod-1', 'pod-2', 'pod-3']));
  }, 60_000);

  it('drops an unready endpoint from the rotation and rejects a Service with none', async () => {
    const syncer = new RuleSyncer(iptables(), options);
    await syncer.sync(state([web, idle], [webEndpoints(all().slice(0, 2), [all()[2]!])]), true);
    const answers = await lab.fetchFrom(lab.pods[0]!.netns, 'http://10.96.0.20/', 40);
    expect(new Set(answers)).toEqual(new Set(['pod-1', 'pod-2']));
    expect(await lab.fetchFrom(lab.pods[0]!.netns, 'http://10.96.0.22/', 1)).toEqual(['error:ECONNREFUSED']);
    expect(await lab.fetchFrom(lab.client, 'http://192.168.77.1:30082/', 1)).toEqual(['error:ECONNREFUSED']);
    // An incremental sync (no iptables-save) removes the endpoint chains that are gone.
    await syncer.sync(state([web], [webEndpoints(all().slice(0, 1))]), false);
    expect(new Set(await lab.fetchFrom(lab.client, 'http://192.168.77.1:30080/', 10))).toEqual(
      new Set(['pod-1']),
    );
    expect(ourRules().filter((l) => l.startsWith(':TUGBOAT-SEP-'))).toHaveLength(2);
  }, 60_000);

  it('keeps a client on one endpoint with ClientIP affinity', async () => {
    const ep = endpoints('sticky', all(), [], [{ port: 8080 }]);
    await new RuleSyncer(iptables(), options).sync(state([sticky], [ep]), true);
    const answers = await lab.fetchFrom(lab.client, 'http://10.96.0.21/', 20);
    expect(answers).toHaveLength(20);
    expect(new Set(answers).size).toBe(1);
  }, 60_000);

  it('serves a LoadBalancer Service at its port on the node address', async () => {
    const ep = endpoints('lb', [all()[1]!], [], [{ port: 8080 }]);
    await new RuleSyncer(iptables(), options).sync(state([lb], [ep]), true);
    expect(await lab.fetchFrom(lab.client, 'http://192.168.77.1:8888/', 3)).toEqual([
      'pod-2',
      'pod-2',
      'pod-2',
    ]);
    expect(await lab.fetchFrom(lab.client, 'http://192.168.77.1:30083/', 1)).toEqual(['pod-2']);
  }, 60_000);

  it('a restarted proxy rebuilds the same rules without duplicates and established flows survive', async () => {
    const ports = state([web], [webEndpoints(all())]);
    await new RuleSyncer(iptables(), options).sync(ports, true);
    const rules = ourRules();
    const conn = lab.linger(lab.client, '10.96.0.20', 9000);
    try {
      const first = await conn.next();
      expect(first).toMatch(/^pod-\d$/);
      // A crash can leave a duplicated jump and a chain that is no longer wanted: a fresh syncer's full sync fixes both.
      lab.inNode(
        'iptables',
        '-t',
        'nat',
        '-I',
        'OUTPUT',
        '-m',
        'comment',
        '--comment',
        'tugboat service portals',
        '-j',
        'TUGBOAT-SERVICES',
      );
      lab.inNode('iptables', '-t', 'nat', '-N', 'TUGBOAT-SVC-STALESTALESTALEX');
      await new RuleSyncer(iptables(), options).sync(ports, true);
      expect(ourRules()).toEqual(rules);
      expect(await conn.next()).toBe(first);
    } finally {
      conn.close();
    }
  }, 60_000);

  it('removal leaves no rule or chain of ours and everyone else’s as it was', async () => {
    await new RuleSyncer(iptables(), options).sync(state([web, idle], [webEndpoints(all())]), true);
    expect(foreignRules()).toEqual(before);
    await removeServiceRules(iptables());
    expect(ourRules()).toEqual([]);
    expect(foreignRules()).toEqual(before);
    await removeServiceRules(iptables());
    expect((await lab.fetchFrom(lab.pods[0]!.netns, 'http://10.96.0.20/', 1))[0]).toMatch(/^error:/);
  }, 60_000);
});
