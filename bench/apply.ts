/**
 * Server-side apply and managedFields: updates/s and p50/p99 of (a) merge-patch updates of a
 * Deployment with 10 containers of 10 env vars each (an Update entry maintained per write),
 * (b) server-side applies of the same Deployment by one manager (merge, conflicts, removal), and
 * (c) merge-patch updates of a small ConfigMap. One request at a time, in-process server on
 * loopback (plain HTTP, embedded store). Run it on a tree without managedFields tracking for the
 * baseline: (b) is then skipped (415).
 *   npx tsx bench/apply.ts [updates=1000]
 */
import { performance } from 'node:perf_hooks';
import { startApiServer } from '../test/support/api-server.js';
import { pct } from './support/stats.js';

const updates = Number(process.argv[2] ?? 1000);
const DEPLOYS = '/apis/apps/v1/namespaces/default/deployments';
const CMS = '/api/v1/namespaces/default/configmaps';

function deployment(image: string): Record<string, unknown> {
  const containers = Array.from({ length: 10 }, (_, c) => ({
    name: `c${c}`,
    image,
    ports: [{ containerPort: 8000 + c }],
    env: Array.from({ length: 10 }, (_, e) => ({ name: `E${e}`, value: `v${e}` })),
  }));
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'bench', labels: { app: 'bench' } },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: 'bench' } },
      template: { metadata: { labels: { app: 'bench' } }, spec: { containers } },
    },
  };
}

async function main(): Promise<void> {
  const srv = await startApiServer();
  const send = async (method: string, path: string, body: unknown, type: string) => {
    const res = await fetch(`${srv.url}${path}`, {
      method,
      headers: { 'content-type': type, 'user-agent': 'bench-apply/1' },
      body: JSON.stringify(body),
    });
    await res.arrayBuffer();
    return res.status;
  };
  const run = async (label: string, one: (i: number) => Promise<number>) => {
    const times: number[] = [];
    const start = performance.now();
    for (let i = 0; i < updates; i++) {
      const t = performance.now();
      const status = await one(i);
      if (status >= 300) {
        console.log(`| ${label} | skipped: HTTP ${status} |`);
        return;
      }
      times.push(performance.now() - t);
    }
    const secs = (performance.now() - start) / 1000;
    console.log(
      `| ${label} | ${Math.round(updates / secs)} | ${pct(times, 50).toFixed(2)} ms | ${pct(times, 99).toFixed(2)} ms |`,
    );
  };
  try {
    await send('POST', DEPLOYS, deployment('img:0'), 'application/json');
    await send('POST', CMS, { metadata: { name: 'bench' }, data: { n: '0' } }, 'application/json');
    const head = (await fetch(`${srv.url}${DEPLOYS}/bench`).then((r) => r.json())) as {
      metadata: { managedFields?: unknown[] };
    };
    console.log(`managedFields entries after create: ${head.metadata.managedFields?.length ?? 0}`);
    console.log('| write | updates/s | p50 | p99 |\n| --- | --- | --- | --- |');
    await run('Deployment merge patch (10 containers × 10 env)', (i) =>
      send(
        'PATCH',
        `${DEPLOYS}/bench`,
        { spec: { template: { spec: { containers: [{ name: 'c0', image: `img:${i}` }] } } } },
        'application/strategic-merge-patch+json',
      ),
    );
    await run('Deployment server-side apply (same manager)', (i) =>
      send(
        'PATCH',
        `${DEPLOYS}/bench?fieldManager=bench&force=true`,
        deployment(`img:a${i}`),
        'application/apply-patch+yaml',
      ),
    );
    await run('ConfigMap merge patch', (i) =>
      send('PATCH', `${CMS}/bench`, { data: { n: String(i) } }, 'application/merge-patch+json'),
    );
  } finally {
    await srv.stop();
  }
}

await main();
