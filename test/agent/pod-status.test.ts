import { describe, expect, it } from 'vitest';
import { buildPodStatus, type ContainerView, podPhase } from '../../src/agent/pod-status.js';
import type { RuntimeContainer } from '../../src/agent/runtime/types.js';
import type { Pod } from '../../src/client/index.js';

const pod: Pod = {
  metadata: { name: 'p', namespace: 'default', uid: 'u' },
  spec: { containers: [{ name: 'a', image: 'img' }] },
  status: { conditions: [{ type: 'Ready', status: 'False', lastTransitionTime: '2020-01-01T00:00:00Z' }] },
};
const spec = { name: 'a', image: 'img' };
const container = (over: Partial<RuntimeContainer>): RuntimeContainer => ({
  id: 'c1',
  podNamespace: 'default',
  podName: 'p',
  podUid: 'u',
  containerName: 'a',
  attempt: 0,
  image: 'img',
  imageId: 'sha256:1',
  state: 'running',
  startedAt: '2026-01-01T00:00:00Z',
  ...over,
});
const ctx = {
  runtimeName: 'docker',
  hostIP: '10.0.0.4',
  podIP: '172.17.0.2',
  startTime: 's',
  now: '2026-01-01T00:00:09Z',
};

describe('pod phase', () => {
  it.each<[string, ContainerView[], string]>([
    ['nothing started', [{ spec, ready: false, willRestart: false }], 'Pending'],
    ['running', [{ spec, current: container({}), ready: true, willRestart: false }], 'Running'],
    [
      'crash looping',
      [{ spec, current: container({ state: 'exited', exitCode: 1 }), ready: false, willRestart: true }],
      'Running',
    ],
    [
      'done',
      [{ spec, current: container({ state: 'exited', exitCode: 0 }), ready: false, willRestart: false }],
      'Succeeded',
    ],
    [
      'failed',
      [{ spec, current: container({ state: 'exited', exitCode: 2 }), ready: false, willRestart: false }],
      'Failed',
    ],
  ])('%s', (_name, views, phase) => {
    expect(podPhase(views)).toBe(phase);
  });
});

describe('pod status', () => {
  it('reports a running container whose startup probe has not succeeded as not started', () => {
    const status = buildPodStatus(
      pod,
      [{ spec, current: container({}), ready: false, started: false, willRestart: false }],
      ctx,
    );
    expect(status.containerStatuses?.[0]).toMatchObject({
      started: false,
      ready: false,
      state: { running: {} },
    });
    expect(status.conditions?.find((c) => c.type === 'Ready')?.status).toBe('False');
    const started = buildPodStatus(
      pod,
      [{ spec, current: container({}), ready: true, willRestart: false }],
      ctx,
    );
    expect(started.containerStatuses?.[0]).toMatchObject({ started: true, ready: true });
  });

  it('reports a crash loop as waiting with the last termination and the restart count', () => {
    const status = buildPodStatus(
      pod,
      [
        {
          spec,
          current: container({
            id: 'c2',
            attempt: 3,
            state: 'exited',
            exitCode: 137,
            oomKilled: true,
            finishedAt: 'f',
          }),
          previous: container({ id: 'c1', attempt: 2, state: 'exited', exitCode: 1 }),
          waiting: { reason: 'CrashLoopBackOff', message: 'back-off 40s' },
          ready: false,
          willRestart: true,
        },
      ],
      ctx,
    );
    const cs = status.containerStatuses?.[0];
    expect(cs?.state).toEqual({ waiting: { reason: 'CrashLoopBackOff', message: 'back-off 40s' } });
    expect(cs?.lastState.terminated).toMatchObject({
      exitCode: 137,
      reason: 'OOMKilled',
      containerID: 'docker://c2',
    });
    expect(cs?.restartCount).toBe(3);
    expect(status.phase).toBe('Running');
  });

  it('keeps lastTransitionTime of unchanged conditions and stamps changed ones', () => {
    const ready = buildPodStatus(
      pod,
      [{ spec, current: container({}), ready: true, willRestart: false }],
      ctx,
    );
    expect(ready.conditions?.find((c) => c.type === 'Ready')).toMatchObject({
      status: 'True',
      lastTransitionTime: ctx.now,
    });
    const notReady = buildPodStatus(
      pod,
      [{ spec, current: container({}), ready: false, willRestart: false }],
      ctx,
    );
    expect(notReady.conditions?.find((c) => c.type === 'Ready')).toMatchObject({
      status: 'False',
      lastTransitionTime: '2020-01-01T00:00:00Z',
      reason: 'ContainersNotReady',
    });
    expect(ready).toMatchObject({ hostIP: '10.0.0.4', podIP: '172.17.0.2', podIPs: [{ ip: '172.17.0.2' }] });
  });
});

describe('conditions the agent does not own', () => {
  it('keeps DisruptionTarget (set by an eviction) and readiness-gate conditions, and replaces its own', () => {
    const evicted: Pod = {
      ...pod,
      status: {
        conditions: [
          { type: 'Ready', status: 'False', lastTransitionTime: '2020-01-01T00:00:00Z' },
          {
            type: 'DisruptionTarget',
            status: 'True',
            reason: 'EvictionByEvictionAPI',
            message: 'Eviction API: evicting',
            lastTransitionTime: '2026-01-01T00:00:05Z',
          },
          { type: 'example.com/gate', status: 'True' },
        ],
      },
    };
    const status = buildPodStatus(
      evicted,
      [{ spec, current: container({}), ready: true, willRestart: false }],
      ctx,
    );
    expect(status.conditions?.map((c) => c.type)).toEqual([
      'Initialized',
      'Ready',
      'ContainersReady',
      'PodScheduled',
      'DisruptionTarget',
      'example.com/gate',
    ]);
    expect(status.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
    expect(status.conditions?.find((c) => c.type === 'DisruptionTarget')).toMatchObject({
      reason: 'EvictionByEvictionAPI',
      lastTransitionTime: '2026-01-01T00:00:05Z',
    });
  });
});
