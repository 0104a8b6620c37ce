/**
 * CustomResourceDefinitions: create a bundle of large CRDs (their JSON about `mib` MiB in total)
 * and time it until every one is Established, with the API server's RSS before and after; then
 * custom resource creates/s and p50/p99 against a schema with 40 validated fields (pattern, enum,
 * int32, arrays of objects), next to ConfigMap creates as the baseline. In-process server on
 * loopback (plain HTTP, embedded store).
 *   npx tsx bench/crd.ts [mib=2] [creates=2000]
 */
import { performance } from 'node:perf_hooks';
import { startApiServer } from '../test/support/api-server.js';
import { benchCrd, postJson } from './support/crd.js';
import { pct } from './support/stats.js';

const mib = Number(process.argv[2] ?? 2);
const creates = Number(process.argv[3] ?? 2000);
const CRDS = '/apis/apiextensions.k8s.io/v1/customresourcedefinitions';

/** A schema shaped like big operator CRDs: nested objects, arrays of objects, enums, patterns. */
function bigSchema(fields: number): Record<string, unknown> {
  const props: Record<string, unknown> = {};
  for (let i = 0; i < fields; i++)
    props[`field${i}`] = {
      type: 'object',
      description: `Field ${i} of a generated operator API, described at length as generators do. `.repeat(3),
      properties: {
        name: { type: 'string', pattern: '^[a-z0-9-]+$', maxLength: 63 },
        mode: { type: 'string', enum: ['a', 'b', 'c'], default: 'a' },
        count: { type: 'integer', format: 'int32', minimum: 0 },
        items: {
          type: 'array',
          items: { type: 'object', properties: { key: { type: 'string' }, value: { type: 'string' } } },
        },
      },
    };
  return {
    type: 'object',
    properties: {
      spec: { type: 'object', properties: props },
      status: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
    },
  };
}

function crd(plural: string, fields: number): Record<string, unknown> {
  const version = (name: string, storage: boolean) => ({
    name,
    storage,
    schema: bigSchema(fields),
    extra: {
      subresources: { status: {} },
      additionalPrinterColumns: [{ name: 'Mode', type: 'string', jsonPath: '.spec.field0.mode' }],
    },
  });
  return benchCrd('bench.example.com', plural, [version('v1', true), version('v1beta1', false)]);
}

async function timedCreates(url: string, make: (i: number) => unknown): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < creates; i++) {
    const t = performance.now();
    const code = await postJson(url, make(i));
    if (code !== 201) throw new Error(`create answered ${code}`);
    times.push(performance.now() - t);
  }
  return times;
}

const srv = await startApiServer();
try {
  const rssBefore = process.memoryUsage().rss;
  const one = JSON.stringify(crd('probes', 40)).length;
  const count = Math.max(1, Math.round((mib * 1024 * 1024) / one));
  const started = performance.now();
  for (let i = 0; i < count; i++) {
    const code = await postJson(`${srv.url}${CRDS}`, crd(`kinds${i}`, 40));
    if (code !== 201) throw new Error(`CRD create answered ${code}`);
  }
  for (;;) {
    const list = (await (await fetch(`${srv.url}${CRDS}`)).json()) as {
      items: Array<{ status?: { conditions?: Array<{ type: string; status: string }> } }>;
    };
    const established = list.items.filter((c) =>
      c.status?.conditions?.some((x) => x.type === 'Established' && x.status === 'True'),
    ).length;
    if (established === count) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  const bundleMs = performance.now() - started;
  const rssAfter = process.memoryUsage().rss;
  console.log(
    `bundle: ${count} CRDs x ${(one / 1024).toFixed(0)} KiB = ${((count * one) / 1024 / 1024).toFixed(2)} MiB, all Established in ${bundleMs.toFixed(0)} ms; RSS ${(rssBefore / 1048576).toFixed(0)} -> ${(rssAfter / 1048576).toFixed(0)} MiB`,
  );
  const spec: Record<string, unknown> = {};
  for (let f = 0; f < 40; f++)
    spec[`field${f}`] = { name: `n-${f}`, count: f, items: [{ key: 'k', value: 'v' }] };
  const cr = await timedCreates(`${srv.url}/apis/bench.example.com/v1/namespaces/default/kinds0`, (i) => ({
    apiVersion: 'bench.example.com/v1',
    kind: 'Kkinds0',
    metadata: { name: `cr-${i}` },
    spec,
  }));
  const cm = await timedCreates(`${srv.url}/api/v1/namespaces/default/configmaps`, (i) => ({
    metadata: { name: `cm-${i}` },
    data: { a: JSON.stringify(spec) },
  }));
  for (const [name, t] of [
    ['custom resource (40 validated fields)', cr],
    ['ConfigMap (same JSON as one string)', cm],
  ] as const) {
    const total = t.reduce((a, b) => a + b, 0);
    console.log(
      `${name}: ${((t.length / total) * 1000).toFixed(0)} creates/s, p50 ${pct(t, 50).toFixed(2)} ms, p99 ${pct(t, 99).toFixed(2)} ms`,
    );
  }
} finally {
  await srv.stop();
}
