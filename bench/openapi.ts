// OpenAPI documents: their sizes, the time to build them (first request: decode the built-in
// definitions and render; later: the cached text) and the API server's RSS and heap at idle and
// after serving every document. Runs the API server in this process on a temp embedded store.
// Usage: node --expose-gc --import tsx bench/openapi.ts [REPEATS]
import { startApiServer } from '../test/support/api-server.js';

const repeats = Number(process.argv[2] ?? 20);
const mib = (n: number) => (n / 1048576).toFixed(1);
function memory(label: string): void {
  (globalThis as { gc?: () => void }).gc?.();
  const m = process.memoryUsage();
  process.stdout.write(`${label}: rss ${mib(m.rss)} MiB, heap used ${mib(m.heapUsed)} MiB\n`);
}

const srv = await startApiServer();
await fetch(`${srv.url}/version`).then((r) => r.arrayBuffer());
memory('idle (no OpenAPI request yet)');

async function fetchAll(): Promise<Array<[string, number]>> {
  const root = (await (await fetch(`${srv.url}/openapi/v3`)).json()) as {
    paths: Record<string, { serverRelativeURL: string }>;
  };
  const sizes: Array<[string, number]> = [];
  for (const [gv, { serverRelativeURL }] of Object.entries(root.paths))
    sizes.push([gv, (await (await fetch(`${srv.url}${serverRelativeURL}`)).arrayBuffer()).byteLength]);
  const v2 = await fetch(`${srv.url}/openapi/v2`, { headers: { accept: 'application/json' } });
  sizes.push(['/openapi/v2 (JSON)', (await v2.arrayBuffer()).byteLength]);
  const pb = await fetch(`${srv.url}/openapi/v2`, {
    headers: { accept: 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf' },
  });
  sizes.push(['/openapi/v2 (protobuf)', (await pb.arrayBuffer()).byteLength]);
  return sizes;
}

let started = performance.now();
const sizes = await fetchAll();
const first = performance.now() - started;
started = performance.now();
for (let i = 0; i < repeats; i++) await fetchAll();
const cached = (performance.now() - started) / repeats;
process.stdout.write(
  `every document, first time: ${first.toFixed(0)} ms; cached: ${cached.toFixed(1)} ms (mean of ${repeats})\n`,
);
for (const [gv, bytes] of sizes) process.stdout.write(`  ${gv}: ${(bytes / 1024).toFixed(1)} KiB\n`);
process.stdout.write(`  total: ${(sizes.reduce((s, [, b]) => s + b, 0) / 1024).toFixed(1)} KiB\n`);
memory('after serving every document');
await srv.stop();
