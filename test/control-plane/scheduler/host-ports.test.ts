import { describe, expect, it } from 'vitest';
import { SchedulerCache } from '../../../src/control-plane/scheduler/cache.js';
import { hostPortsConflict, podHostPorts } from '../../../src/control-plane/scheduler/host-ports.js';
import { selectNode } from '../../../src/control-plane/scheduler/select-node.js';
import { makeNode, makePod } from '../../support/k8s-objects.js';

type Port = { containerPort: number; hostPort?: number; hostIP?: string; protocol?: 'TCP' | 'UDP' };
const withPorts = (name: string, ...ports: Port[]) =>
  makePod(name, { spec: { containers: [{ name: 'c', image: 'i', ports }] } as never });

describe('NodePorts (hostPort) filter', () => {
  it('reads every container port that asks for a host port, wildcard address when unset', () => {
    expect(
      podHostPorts(
        withPorts(
          'p',
          { containerPort: 80, hostPort: 8080 },
          { containerPort: 53, hostPort: 53, protocol: 'UDP', hostIP: '10.0.0.4' },
          { containerPort: 9 },
        ),
      ),
    ).toEqual(['TCP/0.0.0.0/8080', 'UDP/10.0.0.4/53']);
  });

  it('conflicts on the same protocol and port where either address is the wildcard or both are equal', () => {
    const used = new Map([['TCP/10.0.0.4/80', 1]]);
    expect(hostPortsConflict(['TCP/10.0.0.4/80'], used)).toBe(true);
    expect(hostPortsConflict(['TCP/0.0.0.0/80'], used)).toBe(true);
    expect(hostPortsConflict(['TCP/10.0.0.5/80'], used)).toBe(false);
    expect(hostPortsConflict(['UDP/10.0.0.4/80'], used)).toBe(false);
    expect(hostPortsConflict(['TCP/10.0.0.5/80'], new Map([['TCP/0.0.0.0/80', 1]]))).toBe(true);
    expect(hostPortsConflict(['TCP/0.0.0.0/81'], new Map([['TCP/0.0.0.0/80', 1]]))).toBe(false);
  });

  it('keeps a second pod off a node whose host port is taken, with kube-scheduler’s message, and frees it when the pod goes', () => {
    const cache = new SchedulerCache();
    cache.setNode(makeNode('a'));
    cache.addPod('default/first', withPorts('first', { containerPort: 80, hostPort: 8080 }), 'a');
    const r = selectNode(withPorts('second', { containerPort: 80, hostPort: 8080 }), cache, { next: 0 });
    expect(!r.ok && r.message).toBe(
      "0/1 nodes are available: 1 node(s) didn't have free ports for the requested pod ports.",
    );
    expect(
      selectNode(withPorts('other', { containerPort: 80, hostPort: 8081 }), cache, { next: 0 }),
    ).toMatchObject({
      ok: true,
      node: 'a',
    });
    cache.removePod('default/first');
    expect(
      selectNode(withPorts('second', { containerPort: 80, hostPort: 8080 }), cache, { next: 0 }),
    ).toMatchObject({
      ok: true,
      node: 'a',
    });
  });
});
