import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

/** One file of the page, with its gzip form precomputed. */
export interface DashboardAsset {
  readonly type: string;
  readonly body: Buffer;
  readonly gzip: Buffer;
}

/** The whole page, by URL path (`/index.html`, `/app.js`, `/app.css`). */
export interface DashboardAssets {
  readonly files: ReadonlyMap<string, DashboardAsset>;
}

const TYPES: Record<string, string> = {
  '/index.html': 'text/html; charset=utf-8',
  '/app.js': 'text/javascript; charset=utf-8',
  '/app.css': 'text/css; charset=utf-8',
};

/** Where the built page lives in dist/ (scripts/bundle-dashboard.mjs writes it). */
const BUILT = fileURLToPath(new URL('./static/', import.meta.url));
const SOURCE = fileURLToPath(new URL('./page/', import.meta.url));

function asAssets(files: Record<string, Buffer>): DashboardAssets {
  const map = new Map<string, DashboardAsset>();
  for (const [path, body] of Object.entries(files)) {
    map.set(path, {
      type: TYPES[path] ?? 'application/octet-stream',
      body,
      gzip: gzipSync(body, { level: 9 }),
    });
  }
  return { files: map };
}

/**
 * Bundles the page from its TypeScript sources with esbuild (a development dependency: used by the
 * build script and when running from source), minified, one script and one stylesheet, no
 * source maps and nothing fetched from elsewhere.
 */
export async function buildDashboardAssets(): Promise<Record<string, Buffer>> {
  const { build } = await import('esbuild');
  const result = await build({
    entryPoints: [`${SOURCE}main.ts`],
    bundle: true,
    minify: true,
    format: 'iife',
    target: 'es2022',
    platform: 'browser',
    write: false,
    legalComments: 'none',
    logLevel: 'error',
  });
  return {
    '/index.html': readFileSync(`${SOURCE}index.html`),
    '/app.js': Buffer.from(result.outputFiles[0]?.contents ?? new Uint8Array()),
    '/app.css': readFileSync(`${SOURCE}app.css`),
  };
}

/** The page: the prebuilt copy in dist/ when there is one, else bundled now from the sources. */
export async function loadDashboardAssets(): Promise<DashboardAssets> {
  if (existsSync(`${BUILT}app.js`)) {
    return asAssets({
      '/index.html': readFileSync(`${BUILT}index.html`),
      '/app.js': readFileSync(`${BUILT}app.js`),
      '/app.css': readFileSync(`${BUILT}app.css`),
    });
  }
  return asAssets(await buildDashboardAssets());
}
