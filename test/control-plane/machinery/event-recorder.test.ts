import { describe, expect, it } from 'vitest';
import { EventRecorder } from '../../../src/control-plane/machinery/event-recorder.js';
import { RecordingEvents } from '../../../src/events.js';
import type { KubeEvent } from '../../../src/kube/index.js';
import { makeDeployment, makeNode } from '../../support/k8s-objects.js';
import { MemoryApi } from '../../support/memory-api.js';

describe('EventRecorder', () => {
  it('writes a core/v1 Event and bumps its count when the same thing happens again', async () => {
    const api = new MemoryApi();
    const now = Date.parse('2026-01-01T00:00:00Z');
    const recorder = new EventRecorder(api, 'deployment-controller', { now: () => now });
    const d = makeDeployment('web', 1);
    d.kind = 'Deployment';
    await recorder.record(d, 'Normal', 'ScalingReplicaSet', 'Scaled up replica set web-x from 0 to 1');
    await recorder.record(d, 'Normal', 'ScalingReplicaSet', 'Scaled up replica set web-x from 0 to 1');
    const [event, ...rest] = api.items<KubeEvent>('events');
    expect(rest).toEqual([]);
    expect(event).toMatchObject({
      metadata: { namespace: 'default' },
      involvedObject: { kind: 'Deployment', name: 'web', namespace: 'default', apiVersion: 'apps/v1' },
      reason: 'ScalingReplicaSet',
      type: 'Normal',
      source: { component: 'deployment-controller' },
      count: 2,
      firstTimestamp: '2026-01-01T00:00:00Z',
    });
  });

  it('files events of cluster-scoped objects in default and reports failures instead of throwing', async () => {
    const api = new MemoryApi();
    const sink = new RecordingEvents();
    const recorder = new EventRecorder(api, 'node-controller', { now: () => 0 }, sink);
    await recorder.record(makeNode('n1'), 'Normal', 'NodeNotReady', 'Node n1 status is now: NodeNotReady');
    expect(api.items<KubeEvent>('events')[0]?.metadata.namespace).toBe('default');
    api.create = async () => {
      throw new Error('api down');
    };
    await recorder.record(makeNode('n2'), 'Normal', 'NodeNotReady', 'x');
    expect(sink.codes()).toEqual(['controllers.event.failed']);
  });
});
