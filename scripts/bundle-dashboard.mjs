#!/usr/bin/env node
// Builds the dashboard's page (src/dashboard/page) into dist/dashboard/static/: index.html, app.js
// (one minified script, esbuild), app.css. The CLI serves these files; without them (running from
// source) it bundles the page at start. Usage: node --import tsx scripts/bundle-dashboard.mjs [--outdir DIR]
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { buildDashboardAssets } from '../src/dashboard/assets.ts';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const at = args.indexOf('--outdir');
const outdir = resolve(at >= 0 ? args[at + 1] : join(root, 'dist', 'dashboard', 'static'));
mkdirSync(outdir, { recursive: true });
const files = await buildDashboardAssets();
const sizes = {};
for (const [path, body] of Object.entries(files)) {
  writeFileSync(join(outdir, path.slice(1)), body);
  sizes[path.slice(1)] = { bytes: body.length, gzip: gzipSync(body, { level: 9 }).length };
}
process.stdout.write(`${JSON.stringify({ outdir, files: sizes })}\n`);
