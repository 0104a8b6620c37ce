import { describe, expect, it } from 'vitest';
import type { Action } from '../../../src/control-plane/controllers/actions.js';
import {
  type NodeHealth,
  reconcileNodeLifecycle,
} from '../../../src/control-plane/controllers/node-lifecycle.js';
import { formatTime } from '../../../src/control-plane/machinery/clock.js';
import type { Lease, Node, Pod } from '../../../src/kube/index.js';
import { makeNode, makePod } from '../../support/k8s-objects.js';

const t0 = Date.parse('2026-01-01T00:00:00Z');

function lease(node: string, renewMs: number): Lease {
  return {
    metadata: { name: node, namespace: 'kube-node-lease' },
    spec: { holderIdentity: node, leaseDurationSeconds: 40, renewTime: new Date(renewMs).toISOString() },
  };
}

function on(node: string, name: string, tolerations?: Pod['spec']['tolerations']): Pod {
  return makePod(name, { spec: { nodeName: node, ...(tolerations ? { tolerations } : {}) } });
}

const updated = (actions: Action[]) =>
  actions
    .filter((a) => a.verb === 'update' || a.verb === 'updateStatus')
    .map((a) => ('object' in a ? (a.object as Node) : undefined));
const deleted = (actions: Action[]) => actions.flatMap((a) => (a.verb === 'delete' ? [a.name] : []));

describe('reconcileNodeLifecycle', () => {
  it('marks a node Ready=Unknown with the unreachable NoExecute taint once its lease is older than the grace period', () => {
    const health: NodeHealth = new Map();
    const nodes = [makeNode('n1')];
    const leases = new Map([['n1', lease('n1', t0)]]);
    const first = reconcileNodeLifecycle(nodes, leases, [], health, t0, {
      nodeMonitorGracePeriodSeconds: 10,
    });
    expect(first.actions).toEqual([]);
    expect(first.wakeAt).toBe(t0 + 10_001);
    expect(
      reconcileNodeLifecycle(nodes, leases, [], health, t0 + 9_000, { nodeMonitorGracePeriodSeconds: 10 })
        .actions,
    ).toEqual([]);
    const late = reconcileNodeLifecycle(nodes, leases, [], health, t0 + 10_500, {
      nodeMonitorGracePeriodSeconds: 10,
    });
    const [node] = updated(late.actions);
    expect(node?.spec?.taints).toEqual([
      { key: 'node.kubernetes.io/unreachable', effect: 'NoExecute', timeAdded: formatTime(t0 + 10_500) },
    ]);
    const ready = node?.status?.conditions?.find((c) => c.type === 'Ready');
    expect(ready).toMatchObject({ status: 'Unknown', reason: 'NodeStatusUnknown' });
    expect(late.actions.some((a) => a.verb === 'event' && a.reason === 'NodeNotReady')).toBe(true);
  });

  it('keeps a node healthy while its lease keeps being renewed, judged by the controller clock', () => {
    const health: NodeHealth = new Map();
    const nodes = [makeNode('n1')];
    for (let i = 0; i < 10; i++) {
      // The host clock is an hour behind: only the change of renewTime matters.
      const leases = new Map([['n1', lease('n1', t0 - 3_600_000 + i * 5_000)]]);
      expect(reconcileNodeLifecycle(nodes, leases, [], health, t0 + i * 5_000).actions).toEqual([]);
    }
  });

  it('evicts pods after the default toleration, earlier or never per their own tolerations', () => {
    const added = formatTime(t0);
    const node = makeNode('n1', {
      taints: [{ key: 'node.kubernetes.io/unreachable', effect: 'NoExecute', timeAdded: added }],
    });
    node.status!.conditions = [{ type: 'Ready', status: 'Unknown', reason: 'NodeStatusUnknown' }];
    const pods = [
      on('n1', 'plain'),
      on('n1', 'quick', [
        {
          key: 'node.kubernetes.io/unreachable',
          operator: 'Exists',
          effect: 'NoExecute',
          tolerationSeconds: 5,
        },
      ]),
      on('n1', 'daemon', [
        { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' },
      ]),
      on('n2', 'elsewhere'),
    ];
    const health: NodeHealth = new Map([['n1', { heartbeat: undefined, observedAt: t0 - 100_000 }]]);
    const nodes = [node, makeNode('n2')];
    const opts = { podEvictionTimeoutSeconds: 30 };
    const at10 = reconcileNodeLifecycle(nodes, new Map(), pods, health, t0 + 10_000, opts);
    expect(deleted(at10.actions)).toEqual(['quick']);
    expect(at10.wakeAt).toBe(t0 + 30_000);
    const at31 = reconcileNodeLifecycle(nodes, new Map(), pods, health, t0 + 31_000, opts);
    expect(deleted(at31.actions).sort()).toEqual(['plain', 'quick']);
    const evict = at31.actions.find((a) => a.verb === 'delete' && a.name === 'plain');
    expect(evict).toMatchObject({ gracePeriodSeconds: 0 });
  });

  it('clears the taint and Unknown condition when the lease is renewed again', () => {
    const node = makeNode('n1', {
      taints: [{ key: 'node.kubernetes.io/unreachable', effect: 'NoExecute', timeAdded: formatTime(t0) }],
    });
    node.status!.conditions = [{ type: 'Ready', status: 'Unknown', reason: 'NodeStatusUnknown' }];
    const health: NodeHealth = new Map([['n1', { heartbeat: 'old', observedAt: t0 - 100_000 }]]);
    const r = reconcileNodeLifecycle([node], new Map([['n1', lease('n1', t0)]]), [], health, t0);
    const [next] = updated(r.actions);
    expect(next?.spec?.taints).toEqual([]);
    expect(next?.status?.conditions?.[0]?.status).toBe('True');
  });

  it('taints a node that reports Ready=False with not-ready NoExecute', () => {
    const health: NodeHealth = new Map();
    const r = reconcileNodeLifecycle(
      [makeNode('n1', { ready: false })],
      new Map([['n1', lease('n1', t0)]]),
      [],
      health,
      t0,
    );
    expect(updated(r.actions)[0]?.spec?.taints?.[0]).toMatchObject({
      key: 'node.kubernetes.io/not-ready',
      effect: 'NoExecute',
    });
  });

  it('deletes pods bound to nodes that no longer exist', () => {
    const r = reconcileNodeLifecycle(
      [makeNode('n1')],
      new Map(),
      [on('gone', 'orphan'), on('n1', 'fine')],
      new Map(),
      t0,
    );
    expect(deleted(r.actions)).toEqual(['orphan']);
    expect(r.actions[0]).toMatchObject({
      ifAbsent: { resource: 'nodes', name: 'gone' },
      gracePeriodSeconds: 0,
    });
  });
});
