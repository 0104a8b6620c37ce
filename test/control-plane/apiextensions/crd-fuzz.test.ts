import { describe, expect, it } from 'vitest';
import { jsonCaller } from '../../support/json-call.js';
import { prng } from '../../support/prng.js';
import { useApiServer } from '../../support/use-api-server.js';

const CRDS = '/apis/apiextensions.k8s.io/v1/customresourcedefinitions';
const HOSTILE: unknown[] = [
  null,
  0,
  -1,
  1e308,
  'x',
  '',
  true,
  [],
  [1, 'a'],
  {},
  { a: { b: 1 } },
  '(?=x)',
  'Widget',
];

function validCrd(): Record<string, unknown> {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: 'fuzzes.crdfuzz.example.com' },
    spec: {
      group: 'crdfuzz.example.com',
      scope: 'Namespaced',
      names: { plural: 'fuzzes', kind: 'Fuzz', shortNames: ['fz'] },
      versions: [
        {
          name: 'v1',
          served: true,
          storage: true,
          subresources: {
            status: {},
            scale: { specReplicasPath: '.spec.n', statusReplicasPath: '.status.n' },
          },
          additionalPrinterColumns: [{ name: 'N', type: 'integer', jsonPath: '.spec.n' }],
          schema: {
            openAPIV3Schema: {
              type: 'object',
              properties: {
                spec: {
                  type: 'object',
                  required: ['n'],
                  properties: {
                    n: { type: 'integer', minimum: 0, default: 1 },
                    s: { type: 'string', pattern: '^[a-z]+$', enum: ['a', 'b'] },
                    l: { type: 'array', items: { type: 'string' }, 'x-kubernetes-list-type': 'set' },
                    m: { type: 'object', additionalProperties: { type: 'integer' } },
                    e: {
                      type: 'object',
                      'x-kubernetes-embedded-resource': true,
                      'x-kubernetes-preserve-unknown-fields': true,
                    },
                    i: { 'x-kubernetes-int-or-string': true },
                  },
                },
                status: { type: 'object', properties: { n: { type: 'integer' } } },
              },
            },
          },
        },
      ],
    },
  };
}

/** Every path (as keys) to a value inside `v`. */
function paths(v: unknown, at: Array<string | number> = [], out: Array<Array<string | number>> = []) {
  if (at.length) out.push(at);
  if (Array.isArray(v)) v.forEach((x, i) => void paths(x, [...at, i], out));
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) paths(x, [...at, k], out);
  return out;
}

function setAt(root: Record<string, unknown>, path: Array<string | number>, value: unknown): void {
  let cur = root as Record<string | number, unknown>;
  for (const p of path.slice(0, -1)) {
    // An earlier mutation may have replaced a parent with a scalar: nothing to set then.
    if (!cur || typeof cur !== 'object') return;
    cur = cur[p] as Record<string | number, unknown>;
  }
  if (cur && typeof cur === 'object') cur[path[path.length - 1]!] = value;
}

const server = useApiServer();
const call = jsonCaller(() => server().url);

describe('CRD fuzz: mutated CRDs and random custom resources never answer 500', () => {
  it('answers 201, 400 or 422 for 300 mutated CRDs and < 500 for the resources of accepted ones', async () => {
    const rand = prng(1313);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
    const seen = new Map<number, number>();
    for (let round = 0; round < 300; round++) {
      const body = validCrd();
      const all = paths(body);
      for (let k = 0; k < 1 + Math.floor(rand() * 3); k++)
        setAt(body, pick(all), structuredClone(pick(HOSTILE)));
      const res = await call('POST', CRDS, body);
      seen.set(res.status, (seen.get(res.status) ?? 0) + 1);
      expect([201, 400, 409, 422], `${JSON.stringify(body)} -> ${JSON.stringify(res.body)}`).toContain(
        res.status,
      );
      if (res.status !== 201) continue;
      const name = res.body.metadata.name as string;
      const crd = (await call('GET', `${CRDS}/${name}`)).body;
      const spec = crd.spec as {
        group: string;
        names: { plural: string; kind: string };
        versions: Array<{ name: string; served: boolean }>;
      };
      const served = spec.versions.find((v) => v.served);
      if (
        served &&
        crd.status?.conditions?.some(
          (c: { type: string; status: string }) => c.type === 'Established' && c.status === 'True',
        )
      ) {
        const base = `/apis/${spec.group}/${served.name}/namespaces/default/${spec.names.plural}`;
        for (let j = 0; j < 5; j++) {
          const cr = {
            apiVersion: `${spec.group}/${served.name}`,
            kind: spec.names.kind,
            metadata: { name: `c${j}` },
            spec: {
              n: pick(HOSTILE),
              s: pick(HOSTILE),
              l: pick(HOSTILE),
              m: pick(HOSTILE),
              e: pick(HOSTILE),
              i: pick(HOSTILE),
            },
          };
          const r = await call('POST', base, cr);
          expect(r.status, JSON.stringify(r.body)).toBeLessThan(500);
          const list = await call('GET', base);
          expect(list.status).toBe(200);
        }
      }
      expect((await call('DELETE', `${CRDS}/${name}`)).status).toBe(200);
      expect((await call('GET', `${CRDS}/${name}`)).status).toBe(404);
    }
    // The mutations hit both sides: some CRDs stay valid, most are refused.
    expect(seen.get(201) ?? 0).toBeGreaterThan(5);
    expect(seen.get(422) ?? 0).toBeGreaterThan(100);
  }, 120_000);
});
