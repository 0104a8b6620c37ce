import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningApiServer, startApiServer } from '../../support/api-server.js';
import { jsonCaller } from '../../support/json-call.js';

// pods/eviction as kube-apiserver's EvictionREST, on an API server without controllers: the test
// writes each budget's status itself, so every branch is reached deterministically.

let srv: RunningApiServer;
beforeAll(async () => {
  srv = await startApiServer();
});
afterAll(async () => {
  await srv?.stop();
});

const ns = '/api/v1/namespaces/default';
const pdbs = '/apis/policy/v1/namespaces/default/poddisruptionbudgets';
const call = jsonCaller(() => srv.url);

/** A pod bound to a node with the given phase and readiness (what its agent would report). */
async function pod(name: string, app: string, phase: string, ready: boolean) {
  const made = await call('POST', `${ns}/pods`, {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels: { app } },
    spec: { nodeName: 'node-evict', containers: [{ name: 'c', image: 'busybox' }] },
  });
  expect(made.status).toBe(201);
  const status = { phase, conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] };
  const put = await call('PUT', `${ns}/pods/${name}/status`, { ...made.body, status });
  expect(put.status).toBe(200);
}

/** A budget over `app` with the status a disruption controller would have written. */
async function budget(
  name: string,
  app: string,
  spec: Record<string, unknown>,
  status: Record<string, unknown>,
) {
  const made = await call('POST', pdbs, {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: { name },
    spec: { selector: { matchLabels: { app } }, ...spec },
  });
  expect(made.status, JSON.stringify(made.body)).toBe(201);
  const full = { observedGeneration: 1, currentHealthy: 0, desiredHealthy: 0, expectedPods: 0, ...status };
  const put = await call('PUT', `${pdbs}/${name}/status`, { ...made.body, status: full });
  expect(put.status, JSON.stringify(put.body)).toBe(200);
}

const evict = (name: string, extra: Record<string, unknown> = {}) =>
  call('POST', `${ns}/pods/${name}/eviction`, {
    apiVersion: 'policy/v1',
    kind: 'Eviction',
    metadata: { name },
    ...extra,
  });
const terminating = async (name: string) =>
  (await call('GET', `${ns}/pods/${name}`)).body.metadata?.deletionTimestamp !== undefined;

describe('pods/eviction', () => {
  it('spends one allowed disruption, records the pod, and flips DisruptionAllowed at zero', async () => {
    await pod('spend-0', 'spend', 'Running', true);
    await budget(
      'spend',
      'spend',
      { minAvailable: 1 },
      {
        disruptionsAllowed: 1,
        currentHealthy: 2,
        desiredHealthy: 1,
        expectedPods: 2,
        conditions: [
          {
            type: 'DisruptionAllowed',
            status: 'True',
            reason: 'SufficientPods',
            message: '',
            lastTransitionTime: '2026-12-02T00:00:00Z',
          },
        ],
      },
    );
    const res = await evict('spend-0');
    expect(res).toMatchObject({ status: 201, body: { kind: 'Status', status: 'Success' } });
    expect(await terminating('spend-0')).toBe(true);
    // As upstream since PodDisruptionConditions went GA: the pod says why it is going.
    const evicted = (await call('GET', `${ns}/pods/spend-0`)).body;
    expect(evicted.status.conditions).toContainEqual(
      expect.objectContaining({
        type: 'DisruptionTarget',
        status: 'True',
        reason: 'EvictionByEvictionAPI',
        message: 'Eviction API: evicting',
      }),
    );
    const s = (await call('GET', `${pdbs}/spend`)).body.status;
    expect(s.disruptionsAllowed).toBe(0);
    expect(Object.keys(s.disruptedPods)).toEqual(['spend-0']);
    expect(s.conditions[0]).toMatchObject({ status: 'False', reason: 'InsufficientPods' });
  });

  it('answers 429 with retryAfterSeconds 10 while the budget status is older than its spec', async () => {
    await pod('stale-0', 'stale', 'Running', true);
    await budget('stale', 'stale', { minAvailable: 1 }, { observedGeneration: 0, disruptionsAllowed: 5 });
    const res = await evict('stale-0');
    expect(res.status).toBe(429);
    expect(res.body.details).toEqual({
      retryAfterSeconds: 10,
      causes: [
        {
          reason: 'DisruptionBudget',
          message: 'The disruption budget stale is still being processed by the server.',
        },
      ],
    });
    expect(await terminating('stale-0')).toBe(false);
  });

  it('lets an unready pod go without spending a disruption when the budget is met, or with AlwaysAllow', async () => {
    await pod('unready-0', 'unready', 'Running', false);
    await budget(
      'unready',
      'unready',
      { minAvailable: 1 },
      {
        disruptionsAllowed: 0,
        currentHealthy: 1,
        desiredHealthy: 1,
        expectedPods: 2,
      },
    );
    expect((await evict('unready-0')).status).toBe(201);
    expect((await call('GET', `${pdbs}/unready`)).body.status.disruptedPods).toBeUndefined();

    await pod('always-0', 'always', 'Running', false);
    await budget(
      'always',
      'always',
      { minAvailable: 3, unhealthyPodEvictionPolicy: 'AlwaysAllow' },
      {
        disruptionsAllowed: 0,
        currentHealthy: 0,
        desiredHealthy: 3,
        expectedPods: 3,
      },
    );
    expect((await evict('always-0')).status).toBe(201);
    // Unready, budget not met, IfHealthyBudget: the budget decides (none left: 429).
    await pod('short-0', 'short', 'Running', false);
    await budget(
      'short',
      'short',
      { minAvailable: 2 },
      { disruptionsAllowed: 0, currentHealthy: 1, desiredHealthy: 2 },
    );
    expect((await evict('short-0')).status).toBe(429);
  });

  it('deletes Pending and finished pods directly, whatever their budget says', async () => {
    await pod('pending-0', 'held', 'Pending', false);
    await budget('held', 'held', { minAvailable: 5 }, { disruptionsAllowed: 0, desiredHealthy: 5 });
    expect((await evict('pending-0')).status).toBe(201);
    expect(await terminating('pending-0')).toBe(true);
    await pod('done-0', 'held', 'Succeeded', false);
    expect((await evict('done-0')).status).toBe(201);
    expect((await call('GET', `${ns}/pods/done-0`)).status).toBe(404);
    expect((await call('GET', `${pdbs}/held`)).body.status.disruptedPods).toBeUndefined();
  });

  it('dryRun checks without writing; a wrong name or namespace is 400; a missing pod 404', async () => {
    await pod('dry-0', 'dry', 'Running', true);
    await budget('dry', 'dry', { minAvailable: 0 }, { disruptionsAllowed: 1, currentHealthy: 1 });
    const dry = await evict('dry-0', { deleteOptions: { dryRun: ['All'] } });
    expect(dry.status).toBe(201);
    expect(await terminating('dry-0')).toBe(false);
    expect((await call('GET', `${pdbs}/dry`)).body.status.disruptionsAllowed).toBe(1);

    const named = await call('POST', `${ns}/pods/dry-0/eviction`, {
      apiVersion: 'policy/v1',
      kind: 'Eviction',
      metadata: { name: 'other' },
    });
    expect(named).toMatchObject({
      status: 400,
      body: { message: 'name in URL does not match name in Eviction object' },
    });
    const spaced = await evict('dry-0', { metadata: { name: 'dry-0', namespace: 'elsewhere' } });
    expect(spaced.status).toBe(400);
    expect((await evict('no-such-pod')).status).toBe(404);
    expect((await call('POST', `${ns}/pods/dry-0/eviction`, 'junk')).status).toBe(400);
  });

  it('honours the Eviction deleteOptions: a uid precondition of another pod is 409', async () => {
    await pod('uid-0', 'uid', 'Running', true);
    const res = await evict('uid-0', { deleteOptions: { preconditions: { uid: 'not-this-one' } } });
    expect(res.status).toBe(409);
    expect(await terminating('uid-0')).toBe(false);
    // A resourceVersion the client pinned is its own: a stale one is 409, not retried.
    const stale = await evict('uid-0', { deleteOptions: { preconditions: { resourceVersion: '1' } } });
    expect(stale.status).toBe(409);
    expect(stale.body.message).toContain('Precondition failed: ResourceVersion in precondition: 1');
    expect(await terminating('uid-0')).toBe(false);
    const grace = await evict('uid-0', { deleteOptions: { gracePeriodSeconds: 7 } });
    expect(grace.status).toBe(201);
    expect((await call('GET', `${ns}/pods/uid-0`)).body.metadata.deletionGracePeriodSeconds).toBe(7);
  });
});
