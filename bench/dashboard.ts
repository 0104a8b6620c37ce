// Dashboard benchmark: page weight, time to first meaningful paint on `local up`, and the page's
// memory under a stream of live events.
// Usage: npx tsx bench/dashboard.ts [runs=10] [eventSeconds=0] [eventsPerSecond=10] (0 0: weight only)
// Needs dist/ (npm run build: local up starts bin/tugboat.js) and /usr/bin/chromium.
import { gzipSync } from 'node:zlib';
import { resources } from '../src/client/types.js';
import { buildDashboardAssets } from '../src/dashboard/assets.js';
import { startDashboard } from '../src/dashboard/index.js';
import { launchChromium } from '../test/dashboard/browser.js';
import { startLocalTestCluster } from '../test/support/local-cluster.js';

const runs = Number(process.argv[2] ?? 10);
const eventSeconds = Number(process.argv[3] ?? 0);
const rate = Number(process.argv[4] ?? 10);
const kib = (n: number) => (n / 1024).toFixed(1);
const pct = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))] ?? 0;

const files = await buildDashboardAssets();
let raw = 0;
let gz = 0;
/** Loaded only when a shell is opened, so not part of first paint. */
const LAZY = new Set(['/terminal.js', '/terminal.css']);
let lazy = 0;
for (const [path, body] of Object.entries(files)) {
  const g = gzipSync(body, { level: 9 }).length;
  if (LAZY.has(path)) lazy += g;
  else {
    raw += body.length;
    gz += g;
  }
  console.log(`${path}: ${kib(body.length)} KiB, ${kib(g)} KiB gzipped`);
}
console.log(
  `page weight: ${kib(raw)} KiB, ${kib(gz)} KiB gzipped; + ${kib(lazy)} KiB gzipped on opening a shell`,
);
if (runs === 0 && eventSeconds === 0) process.exit(0);

const cluster = await startLocalTestCluster('tugboat-dash-bench-', {
  nodes: 1,
  runtime: 'process',
  timeoutMs: 120_000,
});
const admin = cluster.admin();
const browser = await launchChromium();
try {
  const fcp: number[] = [];
  const meaningful: number[] = [];
  for (let i = 0; i < runs; i++) {
    const dashboard = await startDashboard({
      kubeconfig: { env: cluster.env, home: String(cluster.env.HOME) },
      context: 'tugboat-local',
    });
    const context = await browser.createBrowserContext();
    const page = await context.newPage();
    const t0 = Date.now();
    await page.goto(dashboard.url, { waitUntil: 'domcontentloaded' });
    // First meaningful paint: the node table with the real node's Ready state is on screen.
    await page.waitForFunction(
      "[...document.querySelectorAll('main td span.ok')].some((e) => e.textContent === 'Ready')",
      { polling: 'mutation', timeout: 30_000 },
    );
    meaningful.push(Date.now() - t0);
    fcp.push(
      await page.evaluate(
        () => performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? Number.NaN,
      ),
    );
    await context.close();
    await dashboard.close();
  }
  console.log(`runs: ${runs}`);
  console.log(
    `first contentful paint (from navigation, ms): p50 ${pct(fcp, 0.5).toFixed(0)}, p90 ${pct(fcp, 0.9).toFixed(0)}`,
  );
  console.log(
    `first meaningful paint (goto → node Ready shown, ms): p50 ${pct(meaningful, 0.5)}, p90 ${pct(meaningful, 0.9)}`,
  );

  if (eventSeconds > 0) {
    const dashboard = await startDashboard({
      kubeconfig: { env: cluster.env, home: String(cluster.env.HOME) },
      context: 'tugboat-local',
    });
    const page = await browser.newPage();
    await page.goto(`${dashboard.url}`);
    await page.goto(`${new URL(dashboard.url).origin}/#/events`);
    const heap = async () => ((await page.metrics()).JSHeapUsedSize ?? 0) / 1024 / 1024;
    const samples: string[] = [`0s ${(await heap()).toFixed(1)} MiB`];
    const started = Date.now();
    let sent = 0;
    while (Date.now() - started < eventSeconds * 1000) {
      const due = Math.floor(((Date.now() - started) / 1000) * rate);
      for (; sent < due; sent++) {
        await admin.create(resources.events, {
          apiVersion: 'v1',
          kind: 'Event',
          metadata: { name: `bench-${sent}`, namespace: 'default' },
          involvedObject: { kind: 'Pod', name: `bench-${sent % 50}`, namespace: 'default' },
          reason: 'Bench',
          message: `event ${sent}`,
          type: 'Normal',
          lastTimestamp: new Date().toISOString(),
        } as never);
      }
      if (sent % (rate * 60) === 0 && sent > 0)
        samples.push(`${Math.round((Date.now() - started) / 1000)}s ${(await heap()).toFixed(1)} MiB`);
      await new Promise((r) => setTimeout(r, 50));
    }
    await page.evaluate(() => new Promise((r) => setTimeout(r, 2000)));
    samples.push(`end ${(await heap()).toFixed(1)} MiB`);
    console.log(`events: ${sent} at ${rate}/s; page JS heap used: ${samples.join(', ')}`);
    await dashboard.close();
  }
} finally {
  await browser.close();
  admin.close();
  await cluster.remove();
}
