/**
 * CRD validation rules (CEL): custom resource creates/s and p50/p99 against the same schema with
 * 3 x-kubernetes-validations rules and with none, alternating rounds; then a hostile rule (a nested
 * all(all(all())) over 5,000 items): how long its 422 takes and how long it holds the event loop
 * (evaluation is synchronous: it holds the loop until a limit ends it), then a /version request. In-process server on loopback (plain HTTP, embedded store).
 *   npx tsx bench/cel.ts [creates=1000] [rounds=2]
 */
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { compileRules } from '../src/control-plane/apiextensions/cel-compile.js';
import { validateRules } from '../src/control-plane/apiextensions/cel-validate.js';
import type { JsonSchema } from '../src/control-plane/apiextensions/schema-types.js';
import { startApiServer } from '../test/support/api-server.js';
import { benchCrd, postJson } from './support/crd.js';
import { pct } from './support/stats.js';

const creates = Number(process.argv[2] ?? 1000);
const rounds = Number(process.argv[3] ?? 2);
const CRDS = '/apis/apiextensions.k8s.io/v1/customresourcedefinitions';

const RULES = [
  { rule: 'self.replicas <= self.max', message: 'replicas must not exceed max' },
  { rule: "self.tags.all(t, t.matches('^[a-z0-9-]+$'))", messageExpression: "'bad tag in ' + self.name" },
  { rule: "self.name.startsWith('w-') && size(self.labels) <= 16" },
];

function crd(plural: string, rules: unknown[]): Record<string, unknown> {
  const spec = {
    type: 'object',
    ...(rules.length ? { 'x-kubernetes-validations': rules } : {}),
    properties: {
      name: { type: 'string' },
      replicas: { type: 'integer' },
      max: { type: 'integer' },
      tags: { type: 'array', items: { type: 'string' } },
      labels: { type: 'object', additionalProperties: { type: 'string' } },
      l: { type: 'array', items: { type: 'integer' } },
    },
  };
  return benchCrd('celbench.example.com', plural, [
    { name: 'v1', storage: true, schema: { type: 'object', properties: { spec } } },
  ]);
}

const srv = await startApiServer();
const base = (plural: string) => `${srv.url}/apis/celbench.example.com/v1/namespaces/default/${plural}`;
const spec = {
  name: 'w-1',
  replicas: 2,
  max: 3,
  tags: Array.from({ length: 10 }, (_, i) => `tag-${i}`),
  labels: { app: 'bench', tier: 'web' },
};

async function round(plural: string, r: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < creates; i++) {
    const t = performance.now();
    const code = await postJson(base(plural), {
      apiVersion: 'celbench.example.com/v1',
      kind: `K${plural}`,
      metadata: { name: `o-${r}-${i}` },
      spec,
    });
    if (code !== 201) throw new Error(`create answered ${code}`);
    times.push(performance.now() - t);
  }
  return times;
}

try {
  for (const [plural, rules] of [
    ['ruled', RULES],
    ['plain', []],
    ['hostile', [{ rule: 'self.l.all(x, self.l.all(y, self.l.all(z, x + y + z >= 0)))' }]],
  ] as const)
    if ((await postJson(`${srv.url}${CRDS}`, crd(plural, [...rules]))) !== 201)
      throw new Error('CRD create failed');
  await new Promise((r) => setTimeout(r, 500));
  const all: Record<string, number[]> = { ruled: [], plain: [] };
  for (let r = 0; r < rounds; r++)
    for (const plural of ['ruled', 'plain']) {
      const times = await round(plural, r);
      all[plural]?.push(...times);
    }
  for (const [plural, times] of Object.entries(all)) {
    const total = times.reduce((a, b) => a + b, 0);
    console.log(
      `${plural === 'ruled' ? '3 rules' : 'no rules'}: ${times.length} creates, ${((times.length / total) * 1000).toFixed(0)}/s, p50 ${pct(times, 50).toFixed(2)} ms, p99 ${pct(times, 99).toFixed(2)} ms`,
    );
  }
  // The rules alone, without HTTP and the store: compile once, evaluate per object.
  const schema = (crd('x', [...RULES]).spec as { versions: [{ schema: { openAPIV3Schema: JsonSchema } }] })
    .versions[0].schema.openAPIV3Schema;
  const tree = compileRules(schema, '', []);
  if (!tree) throw new Error('no rules compiled');
  const obj = { apiVersion: 'celbench.example.com/v1', kind: 'Kx', metadata: { name: 'o' }, spec };
  const n = creates * 10;
  const e = performance.now();
  for (let i = 0; i < n; i++)
    if (validateRules(tree, schema, obj, undefined).length) throw new Error('rule failed');
  console.log(
    `3 rules evaluated in-process: ${(((performance.now() - e) / n) * 1000).toFixed(1)} µs per object (${n} objects)`,
  );
  const l = Array.from({ length: 5000 }, (_, i) => i);
  // Client and server share this process, so a held event loop shows as the loop's longest delay.
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  const t = performance.now();
  const code = await postJson(base('hostile'), {
    apiVersion: 'celbench.example.com/v1',
    kind: 'Khostile',
    metadata: { name: 'h' },
    spec: { l },
  });
  const ms = performance.now() - t;
  delay.disable();
  const v = performance.now();
  const version = await fetch(`${srv.url}/version`);
  await version.arrayBuffer();
  console.log(
    `hostile all(all(all())) over 5,000 items: ${code} in ${ms.toFixed(0)} ms, event loop held at most ${(delay.max / 1e6).toFixed(0)} ms; /version right after: ${version.status} in ${(performance.now() - v).toFixed(0)} ms`,
  );
} finally {
  await srv.stop();
}
