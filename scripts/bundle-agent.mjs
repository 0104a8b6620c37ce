#!/usr/bin/env node
// Bundles the node agent alone into plain ESM with no native addons: dist/agent/bin.js plus lazily
// loaded chunks. bench/agent.ts measures it; bootstrap uploads the host bundle (scripts/bundle.mjs). The AWS SDK (3 MB) sits
// in its own chunk, loaded only when EIP self-assignment is on; keeping it out of the entry file
// saves ~20 MiB of agent RSS (see bench/agent.md). Usage: node scripts/bundle-agent.mjs [outdir]
import { readFileSync } from 'node:fs';
import { build } from 'esbuild';

const outdir = process.argv[2] ?? 'dist/agent';
const result = await build({
  entryPoints: { bin: 'src/agent/bin.ts' },
  outdir,
  bundle: true,
  splitting: true,
  platform: 'node',
  target: 'node24',
  format: 'esm',
  legalComments: 'none',
  metafile: true,
  define: { __TUGBOAT_VERSION__: JSON.stringify(JSON.parse(readFileSync('package.json', 'utf8')).version) },
  // Some bundled CommonJS dependencies call require(); give the ESM bundle one.
  banner: {
    js: "import { createRequire as __tugboatRequire } from 'node:module'; const require = __tugboatRequire(import.meta.url);",
  },
});
const bytes = Object.values(result.metafile.outputs).reduce((n, o) => n + o.bytes, 0);
process.stderr.write(
  `bundled the agent into ${outdir}/bin.js (+ chunks, ${(bytes / 1024 / 1024).toFixed(1)} MiB in all)\n`,
);
