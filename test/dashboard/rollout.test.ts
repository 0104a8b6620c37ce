import { describe, expect, it } from 'vitest';
import {
  daemonSetRollout,
  jobState,
  rolloutState,
  statefulSetRollout,
} from '../../src/dashboard/page/rollout.js';
import type { Obj } from '../../src/dashboard/page/state.js';

const obj = (spec: object, status: object, generation = 1): Obj => ({
  metadata: { name: 'x', generation },
  spec,
  status: { observedGeneration: 1, ...status },
});

// The rollout words of `kubectl rollout status` (kubectl's polymorphichelpers status viewers), so the
// page and the terminal say the same thing at each step.
describe('rollout state as kubectl rollout status says it', () => {
  it('Deployment: each step of a rollout', () => {
    expect(rolloutState(obj({ replicas: 3 }, {}, 2)).text).toBe(
      'waiting for deployment spec update to be observed',
    );
    expect(rolloutState(obj({ replicas: 3 }, { updatedReplicas: 1 })).text).toBe(
      '1 out of 3 new replicas have been updated',
    );
    expect(rolloutState(obj({ replicas: 3 }, { updatedReplicas: 3, replicas: 4 })).text).toBe(
      '1 old replicas are pending termination',
    );
    expect(
      rolloutState(obj({ replicas: 3 }, { updatedReplicas: 3, replicas: 3, availableReplicas: 2 })).text,
    ).toBe('2 of 3 updated replicas are available');
    const done = rolloutState(
      obj({ replicas: 3 }, { updatedReplicas: 3, replicas: 3, availableReplicas: 3 }),
    );
    expect(done).toEqual({ done: true, text: 'successfully rolled out' });
    const stuck = obj(
      { replicas: 1 },
      { conditions: [{ type: 'Progressing', reason: 'ProgressDeadlineExceeded' }] },
    );
    expect(rolloutState(stuck).text).toBe('exceeded its progress deadline');
  });

  it('StatefulSet: ready, partition, revisions', () => {
    expect(statefulSetRollout(obj({ replicas: 2 }, { readyReplicas: 1 })).text).toBe(
      'waiting for 1 pods to be ready',
    );
    const partitioned = {
      replicas: 3,
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 1 } },
    };
    expect(statefulSetRollout(obj(partitioned, { readyReplicas: 3, updatedReplicas: 1 })).text).toBe(
      '1 out of 2 new pods have been updated',
    );
    expect(
      statefulSetRollout(
        obj(
          { replicas: 2 },
          { readyReplicas: 2, updateRevision: 'b', currentRevision: 'a', updatedReplicas: 1 },
        ),
      ).done,
    ).toBe(false);
    expect(
      statefulSetRollout(
        obj(
          { replicas: 2 },
          { readyReplicas: 2, updateRevision: 'a', currentRevision: 'a', currentReplicas: 2 },
        ),
      ),
    ).toEqual({ done: true, text: 'rolling update complete 2 pods at revision a' });
  });

  it('DaemonSet and Job', () => {
    expect(daemonSetRollout(obj({}, { desiredNumberScheduled: 2, updatedNumberScheduled: 1 })).text).toBe(
      '1 out of 2 new pods have been updated',
    );
    expect(
      daemonSetRollout(obj({}, { desiredNumberScheduled: 2, updatedNumberScheduled: 2, numberAvailable: 2 }))
        .done,
    ).toBe(true);
    expect(
      jobState(obj({}, { conditions: [{ type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded' }] }))
        .text,
    ).toBe('Failed (BackoffLimitExceeded)');
    expect(jobState(obj({}, { active: 2 })).text).toBe('Running (2 active)');
  });
});
