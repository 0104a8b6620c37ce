import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RecordingEvents } from '../../../src/events.js';
import { type RunningApiServer, startApiServer } from '../../support/api-server.js';
import { prng as rng } from '../../support/prng.js';

let srv: RunningApiServer;
const events = new RecordingEvents();

const podSpec = {
  containers: [
    { name: 'c', image: 'busybox:1', env: [{ name: 'A', value: '1' }], ports: [{ containerPort: 80 }] },
  ],
};
const template = { metadata: { labels: { app: 'f' } }, spec: podSpec };
const TEMPLATES: Array<{ path: string; body: Record<string, unknown> }> = [
  {
    path: '/api/v1/namespaces/default/pods',
    body: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'f', labels: { a: 'b' } }, spec: podSpec },
  },
  {
    path: '/api/v1/namespaces/default/configmaps',
    body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'f' }, data: { k: 'v' } },
  },
  {
    path: '/api/v1/namespaces/default/secrets',
    body: { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'f' }, stringData: { k: 'v' } },
  },
  {
    path: '/api/v1/namespaces/default/services',
    body: {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'f' },
      spec: { selector: { app: 'f' }, ports: [{ port: 80 }] },
    },
  },
  {
    path: '/api/v1/namespaces/default/events',
    body: {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: 'f' },
      involvedObject: { kind: 'Pod', name: 'f' },
      reason: 'R',
      message: 'm',
    },
  },
  {
    path: '/api/v1/nodes',
    body: {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: 'f' },
      status: { addresses: [{ type: 'InternalIP', address: '127.0.0.1' }] },
    },
  },
  { path: '/api/v1/namespaces', body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'f' } } },
  {
    path: '/apis/apps/v1/namespaces/default/deployments',
    body: {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'f' },
      spec: { replicas: 2, selector: { matchLabels: { app: 'f' } }, template },
    },
  },
  {
    path: '/apis/apps/v1/namespaces/default/daemonsets',
    body: {
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: { name: 'f' },
      spec: { selector: { matchLabels: { app: 'f' } }, template },
    },
  },
  {
    path: '/apis/batch/v1/namespaces/default/jobs',
    body: {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'f' },
      spec: { template: { spec: { ...podSpec, restartPolicy: 'Never' } } },
    },
  },
  {
    path: '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases',
    body: {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: 'f' },
      spec: { holderIdentity: 'f', leaseDurationSeconds: 40 },
    },
  },
];

function paths(value: unknown, prefix: string[] = [], out: string[][] = []): string[][] {
  out.push(prefix);
  if (typeof value === 'object' && value !== null) {
    for (const [k, v] of Object.entries(value)) paths(v, [...prefix, k], out);
  }
  return out;
}

function randomValue(r: () => number, depth = 0): unknown {
  const choices: Array<() => unknown> = [
    () => null,
    () => -1,
    () => 1.5,
    () => Number.MAX_SAFE_INTEGER,
    () => '',
    () => 'x'.repeat(Math.floor(r() * 2000)),
    () => '☃ ünïcödé \u0000 "quoted" /slash',
    () => true,
    () => [],
    () => ({}),
    () => [1, 'a', null, { name: 'n' }],
    () => (depth < 3 ? { name: 'Bad Name', [`k${Math.floor(r() * 9)}`]: randomValue(r, depth + 1) } : 'leaf'),
    () => 'valid-name',
  ];
  return choices[Math.floor(r() * choices.length)]!();
}

function mutate(obj: Record<string, unknown>, r: () => number): Record<string, unknown> {
  const copy = structuredClone(obj);
  const all = paths(copy).filter((p) => p.length > 0);
  const target = all[Math.floor(r() * all.length)]!;
  let parent: Record<string, unknown> = copy;
  for (const key of target.slice(0, -1)) parent = parent[key] as Record<string, unknown>;
  const last = target[target.length - 1]!;
  const op = r();
  if (op < 0.25) delete parent[last];
  else if (op < 0.85) parent[last] = randomValue(r);
  else parent[`extra${Math.floor(r() * 5)}`] = randomValue(r);
  if (r() < 0.7 && typeof copy.metadata === 'object' && copy.metadata !== null) {
    (copy.metadata as Record<string, unknown>).name = `f-${Math.floor(r() * 40)}`;
  }
  return copy;
}

async function send(
  method: string,
  path: string,
  body: unknown,
  contentType = 'application/json',
  accept?: string,
) {
  const res = await fetch(`${srv.url}${path}`, {
    method,
    headers: { 'content-type': contentType, ...(accept ? { accept } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, text };
}

beforeAll(async () => {
  srv = await startApiServer({ events });
});
afterAll(async () => {
  await srv?.stop();
});

describe('fuzz: random mutations of valid objects', () => {
  it('never answers 5xx across 1,200 mutated requests and keeps serving', async () => {
    const seed = Number(process.env.FUZZ_SEED ?? Date.now() % 1_000_000);
    const r = rng(seed);
    const statuses = new Map<number, number>();
    for (let i = 0; i < 1200; i++) {
      const t = TEMPLATES[Math.floor(r() * TEMPLATES.length)]!;
      const body = mutate(t.body, r);
      const name = String((body.metadata as { name?: unknown } | undefined)?.name ?? 'f');
      const item = `${t.path}/${encodeURIComponent(name)}`;
      const pick = r();
      let res: { status: number; text: string };
      if (pick < 0.4) res = await send('POST', t.path, body);
      else if (pick < 0.55) res = await send('PUT', item, body);
      else if (pick < 0.65) res = await send('PATCH', item, body, 'application/merge-patch+json');
      else if (pick < 0.75) res = await send('PATCH', item, body, 'application/strategic-merge-patch+json');
      else if (pick < 0.82) {
        const ops = [
          {
            op: ['add', 'replace', 'remove', 'test', 'move'][Math.floor(r() * 5)],
            path: `/${paths(body)[Math.floor(r() * 10)]?.join('/') ?? ''}`,
            value: randomValue(r),
            from: '/metadata',
          },
        ];
        res = await send('PATCH', item, ops, 'application/json-patch+json');
      } else if (pick < 0.9)
        res = await send('GET', t.path, undefined, undefined, 'application/json;as=Table;v=v1;g=meta.k8s.io');
      else if (pick < 0.95) res = await send('PUT', `${item}/status`, body);
      else res = await send('DELETE', item, r() < 0.5 ? undefined : { gracePeriodSeconds: randomValue(r) });
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      expect(res.status, `seed ${seed}, request ${i}: ${JSON.stringify(events.events.at(-1))}`).toBeLessThan(
        500,
      );
      expect(() => JSON.parse(res.text), `seed ${seed}, request ${i} body`).not.toThrow();
    }
    // The mix must really exercise both paths: some requests accepted, many rejected.
    const ok = [...statuses].filter(([s]) => s < 300).reduce((n, [, c]) => n + c, 0);
    expect(ok).toBeGreaterThan(50);
    expect(1200 - ok).toBeGreaterThan(200);

    expect((await send('GET', '/readyz', undefined)).status).toBe(200);
    for (const t of TEMPLATES) expect((await send('GET', t.path, undefined)).status).toBe(200);
    const fresh = await send('POST', '/api/v1/namespaces/default/configmaps', {
      metadata: { name: 'after-fuzz' },
    });
    expect(fresh.status).toBe(201);
  });
});
