import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningApiServer, startApiServer } from '../../support/api-server.js';
import { type JsonAnswer, jsonCaller } from '../../support/json-call.js';
import { prng } from '../../support/prng.js';

// ResourceQuota admission against a real API server: counts, compute, constraints, races, refunds.
let srv: RunningApiServer;

const call = jsonCaller(() => srv.url);

type Resources = { requests?: Record<string, string>; limits?: Record<string, string> };
const pod = (name: string, resources?: Resources) => ({
  metadata: { name },
  spec: { containers: [{ name: 'main', image: 'busybox', ...(resources ? { resources } : {}) }] },
});
const quota = (name: string, hard: Record<string, string>, extra: Record<string, unknown> = {}) => ({
  metadata: { name },
  spec: { hard, ...extra },
});
const ns = async (name: string) =>
  expect((await call('POST', '/api/v1/namespaces', { metadata: { name } })).status).toBe(201);
async function mergePatch(path: string, body: unknown): Promise<JsonAnswer> {
  const res = await fetch(`${srv.url}${path}`, {
    method: 'PATCH',
    headers: { 'content-type': 'application/merge-patch+json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}
const post = (namespace: string, plural: string, body: unknown) =>
  call('POST', `/api/v1/namespaces/${namespace}/${plural}`, body);

beforeAll(async () => {
  srv = await startApiServer();
});
afterAll(async () => {
  await srv?.stop();
});

describe('ResourceQuota admission', () => {
  it('validates quotas as upstream', async () => {
    await ns('adm-q-valid');
    const bad = await post(
      'adm-q-valid',
      'resourcequotas',
      quota(
        'bad',
        { pods: '-1', 'requests.cpu': 'lots', widgets: '1' },
        { scopes: ['Terminating', 'NotTerminating', 'Sometimes'] },
      ),
    );
    expect(bad.status).toBe(422);
    const msg = bad.body.message as string;
    expect(msg).toContain('spec.hard[pods]: Invalid value: "-1": must be greater than or equal to 0');
    expect(msg).toContain('spec.hard[requests.cpu]: Invalid value: "lots"');
    expect(msg).toContain(
      'spec.hard[widgets]: Invalid value: "widgets": must be a standard resource type or fully qualified',
    );
    expect(msg).toContain('spec.scopes[2]: Unsupported value: "Sometimes"');
    expect(msg).toContain('conflicting scopes');
  });

  it('counts objects and refuses the one over the limit with upstream text', async () => {
    await ns('adm-q-count');
    expect(
      (
        await post(
          'adm-q-count',
          'resourcequotas',
          quota('q', {
            pods: '2',
            configmaps: '1',
            'count/deployments.apps': '0',
            'services.nodeports': '1',
          }),
        )
      ).status,
    ).toBe(201);
    expect((await post('adm-q-count', 'pods', pod('p1'))).status).toBe(201);
    expect((await post('adm-q-count', 'pods', pod('p2'))).status).toBe(201);
    const third = await post('adm-q-count', 'pods', pod('p3'));
    expect(third.status).toBe(403);
    expect(third.body.message).toBe(
      'pods "p3" is forbidden: exceeded quota: q, requested: pods=1, used: pods=2, limited: pods=2',
    );
    const q = await call('GET', '/api/v1/namespaces/adm-q-count/resourcequotas/q');
    expect(q.body.status.used).toMatchObject({ pods: '2', configmaps: '0' });
    expect((await post('adm-q-count', 'configmaps', { metadata: { name: 'a' } })).status).toBe(201);
    const cm = await post('adm-q-count', 'configmaps', { metadata: { name: 'b' } });
    expect(cm.body.message).toBe(
      'configmaps "b" is forbidden: exceeded quota: q, requested: configmaps=1, used: configmaps=1, limited: configmaps=1',
    );
    const dep = await call('POST', '/apis/apps/v1/namespaces/adm-q-count/deployments', {
      metadata: { name: 'd' },
      spec: {
        selector: { matchLabels: { a: 'b' } },
        template: {
          metadata: { labels: { a: 'b' } },
          spec: { containers: [{ name: 'c', image: 'busybox' }] },
        },
      },
    });
    expect(dep.status).toBe(403);
    expect(dep.body.message).toBe(
      'deployments.apps "d" is forbidden: exceeded quota: q, requested: count/deployments.apps=1, used: count/deployments.apps=0, limited: count/deployments.apps=0',
    );
    const svc = await post('adm-q-count', 'services', {
      metadata: { name: 's' },
      spec: {
        type: 'NodePort',
        ports: [{ port: 80 }, { port: 81, name: 'b' }].map((p, i) => ({ ...p, name: `p${i}` })),
      },
    });
    expect(svc.status).toBe(403);
    expect(svc.body.message).toContain(
      'requested: services.nodeports=2, used: services.nodeports=0, limited: services.nodeports=1',
    );
  });

  it('charges compute and asks for the amounts a compute quota limits', async () => {
    await ns('adm-q-compute');
    expect(
      (
        await post(
          'adm-q-compute',
          'resourcequotas',
          quota('compute', { 'requests.cpu': '1', 'limits.memory': '1Gi' }),
        )
      ).status,
    ).toBe(201);
    const bare = await post('adm-q-compute', 'pods', pod('bare', { requests: { cpu: '100m' } }));
    expect(bare.status).toBe(403);
    expect(bare.body.message).toBe(
      'pods "bare" is forbidden: failed quota: compute: must specify limits.memory for: main',
    );
    const some = { requests: { cpu: '600m' }, limits: { memory: '512Mi' } };
    expect((await post('adm-q-compute', 'pods', pod('a', some))).status).toBe(201);
    const over = await post('adm-q-compute', 'pods', pod('b', some));
    expect(over.status).toBe(403);
    expect(over.body.message).toBe(
      'pods "b" is forbidden: exceeded quota: compute, requested: requests.cpu=600m, used: requests.cpu=600m, limited: requests.cpu=1',
    );
    expect(
      (
        await post(
          'adm-q-compute',
          'pods',
          pod('c', { requests: { cpu: '400m' }, limits: { memory: '512Mi' } }),
        )
      ).status,
    ).toBe(201);
    const q = await call('GET', '/api/v1/namespaces/adm-q-compute/resourcequotas/compute');
    expect(q.body.status).toEqual({
      hard: { 'limits.memory': '1Gi', 'requests.cpu': '1' },
      used: { 'limits.memory': '1Gi', 'requests.cpu': '1' },
    });
  });

  it('charges what an update grows: a Service turned NodePort', async () => {
    await ns('adm-q-update');
    const hard = { 'services.nodeports': '1', 'requests.storage': '3Gi' };
    expect((await post('adm-q-update', 'resourcequotas', quota('u', hard))).status).toBe(201);
    const svc = await post('adm-q-update', 'services', {
      metadata: { name: 's' },
      spec: {
        ports: [
          { name: 'a', port: 80 },
          { name: 'b', port: 81 },
        ],
      },
    });
    expect(svc.status).toBe(201);
    const path = '/api/v1/namespaces/adm-q-update/services/s';
    const turned = await mergePatch(path, { spec: { type: 'NodePort' } });
    expect(turned.status).toBe(403);
    expect(turned.body.message).toBe(
      'services "s" is forbidden: exceeded quota: u, requested: services.nodeports=2, used: services.nodeports=0, limited: services.nodeports=1',
    );
    expect((await call('GET', path)).body.spec.type).toBe('ClusterIP');
    const quotaPath = '/api/v1/namespaces/adm-q-update/resourcequotas/u';
    expect((await mergePatch(quotaPath, { spec: { hard: { 'services.nodeports': '2' } } })).status).toBe(200);
    expect((await mergePatch(path, { spec: { type: 'NodePort' } })).status).toBe(200);
    const q = await call('GET', quotaPath);
    expect(q.body.status.used).toEqual({ 'requests.storage': '0', 'services.nodeports': '2' });
  });

  it('lets exactly one of many racing creates take the last slot', async () => {
    await ns('adm-q-race');
    expect((await post('adm-q-race', 'resourcequotas', quota('one', { pods: '1' }))).status).toBe(201);
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) => post('adm-q-race', 'pods', pod(`r${i}`))),
    );
    expect(results.filter((r) => r.status === 201)).toHaveLength(1);
    expect(results.filter((r) => r.status === 403)).toHaveLength(7);
    const list = await call('GET', '/api/v1/namespaces/adm-q-race/pods');
    expect(list.body.items).toHaveLength(1);
  });

  it('refunds the charge when the store refuses the object, and dry runs charge nothing', async () => {
    await ns('adm-q-refund');
    expect((await post('adm-q-refund', 'resourcequotas', quota('two', { pods: '2' }))).status).toBe(201);
    expect((await post('adm-q-refund', 'pods', pod('same'))).status).toBe(201);
    expect((await post('adm-q-refund', 'pods', pod('same'))).status).toBe(409);
    expect((await call('POST', '/api/v1/namespaces/adm-q-refund/pods?dryRun=All', pod('dry'))).status).toBe(
      201,
    );
    const q = await call('GET', '/api/v1/namespaces/adm-q-refund/resourcequotas/two');
    expect(q.body.status.used).toEqual({ pods: '1' });
    expect((await post('adm-q-refund', 'pods', pod('other'))).status).toBe(201);
  });

  it('gives back the charge of the other quotas when one refuses', async () => {
    await ns('adm-q-multi');
    expect((await post('adm-q-multi', 'resourcequotas', quota('big', { pods: '10' }))).status).toBe(201);
    expect((await post('adm-q-multi', 'resourcequotas', quota('small', { pods: '1' }))).status).toBe(201);
    expect((await post('adm-q-multi', 'pods', pod('a'))).status).toBe(201);
    const refused = await post('adm-q-multi', 'pods', pod('b'));
    expect(refused.body.message).toBe(
      'pods "b" is forbidden: exceeded quota: small, requested: pods=1, used: pods=1, limited: pods=1',
    );
    const big = await call('GET', '/api/v1/namespaces/adm-q-multi/resourcequotas/big');
    expect(big.body.status.used).toEqual({ pods: '1' });
  });

  it('applies scoped quotas to the pods they select only', async () => {
    await ns('adm-q-scope');
    expect(
      (await post('adm-q-scope', 'resourcequotas', quota('be', { pods: '0' }, { scopes: ['BestEffort'] })))
        .status,
    ).toBe(201);
    expect((await post('adm-q-scope', 'pods', pod('sized', { requests: { cpu: '10m' } }))).status).toBe(201);
    const be = await post('adm-q-scope', 'pods', pod('besteffort'));
    expect(be.status).toBe(403);
    expect(be.body.message).toContain('exceeded quota: be, requested: pods=1, used: pods=0, limited: pods=0');
    expect((await post('adm-q-scope', 'configmaps', { metadata: { name: 'c' } })).status).toBe(201);
  });

  it('answers malformed quotas, ranges and pods under them with 4xx or 201, never 5xx', async () => {
    await ns('adm-q-fuzz');
    const rand = prng(13);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
    const odd = [
      '1',
      '-1',
      '1e999999',
      '0.000000001',
      '1Ei',
      '9'.repeat(70),
      'x',
      '',
      ' 1',
      '1Mi ',
      '.5',
      '5.',
      1,
      -3,
      1.5,
      null,
      true,
      {},
      [],
      { a: 1 },
      '1e-999',
      'NaN',
      'Infinity',
      '1ki',
      '1MM',
    ] as const;
    const names = [
      'pods',
      'cpu',
      'memory',
      'requests.cpu',
      'limits.memory',
      'count/pods',
      'services.nodeports',
      'x/y',
      'bad name',
      '',
    ];
    const list = () =>
      Object.fromEntries(Array.from({ length: 1 + Math.floor(rand() * 3) }, () => [pick(names), pick(odd)]));
    const bodies = (i: number): Array<[string, unknown]> => [
      [
        'resourcequotas',
        {
          metadata: { name: `f${i}` },
          spec: pick([
            { hard: list() },
            { hard: pick(odd) },
            pick(odd),
            { hard: list(), scopes: pick([['BestEffort'], 'x', [1], null]) },
          ]),
        },
      ],
      [
        'limitranges',
        {
          metadata: { name: `f${i}` },
          spec: pick([
            {
              limits: [
                {
                  type: pick(['Container', 'Pod', 'PersistentVolumeClaim', 'X', 1]),
                  [pick(['min', 'max', 'default', 'defaultRequest', 'maxLimitRequestRatio'])]: list(),
                },
              ],
            },
            { limits: pick(odd) },
            pick(odd),
          ]),
        },
      ],
      [
        'pods',
        {
          metadata: { name: `f${i}` },
          spec: {
            containers: [
              {
                name: 'c',
                image: 'busybox',
                resources: pick([{ requests: list(), limits: list() }, pick(odd)]),
              },
            ],
          },
        },
      ],
    ];
    const codes = new Map<number, number>();
    for (let i = 0; i < 150; i++)
      for (const [plural, body] of bodies(i)) {
        const res = await post('adm-q-fuzz', plural, body);
        codes.set(res.status, (codes.get(res.status) ?? 0) + 1);
        expect(res.status, JSON.stringify({ body, answer: res.body })).toBeLessThan(500);
      }
    expect(codes.get(201)).toBeGreaterThan(0);
    expect(codes.get(422)).toBeGreaterThan(0);
    const after = await post('adm-q-fuzz', 'configmaps', { metadata: { name: 'still-serving' } });
    expect(after.status).toBeLessThan(500);
  }, 120_000);

  it('stays bounded with a thousand quotas and odd quantities in one namespace', async () => {
    await ns('adm-q-many');
    for (let i = 0; i < 1000; i += 50)
      await Promise.all(
        Array.from({ length: 50 }, (_, j) =>
          post(
            'adm-q-many',
            'resourcequotas',
            quota(`q${i + j}`, { configmaps: '1e999999', 'requests.cpu': '9999999999999999999Ei' }),
          ),
        ),
      );
    const started = Date.now();
    const p = await post('adm-q-many', 'pods', pod('p', { requests: { cpu: '1e30' } }));
    expect(p.status).toBe(201);
    expect(Date.now() - started).toBeLessThan(60_000);
    const over = await post('adm-q-many', 'resourcequotas', quota('q-extra', { pods: '1' }));
    expect(over.status).toBe(403);
    expect(over.body.message).toBe(
      'resourcequotas "q-extra" is forbidden: namespace adm-q-many already has 1000 ResourceQuotas, the most tugboat admits: delete some first',
    );
  }, 120_000);
});
