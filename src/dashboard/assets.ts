import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

/** One file of the page, with its gzip form precomputed. */
export interface DashboardAsset {
  readonly type: string;
  readonly body: Buffer;
  readonly gzip: Buffer;
}

/** The whole page, by URL path (`/index.html`, `/app.js`, `/app.css`, `/terminal.js`, `/terminal.css`). */
export interface DashboardAssets {
  readonly files: ReadonlyMap<string, DashboardAsset>;
}

const TYPES: Record<string, string> = {
  '/index.html': 'text/html; charset=utf-8',
  '/app.js': 'text/javascript; charset=utf-8',
  '/terminal.js': 'text/javascript; charset=utf-8',
  '/app.css': 'text/css; charset=utf-8',
  '/terminal.css': 'text/css; charset=utf-8',
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

/** The page's files, as served and as written to dist/. */
const FILES = ['/index.html', '/app.js', '/terminal.js', '/app.css', '/terminal.css'] as const;

/**
 * Bundles the page from its TypeScript sources with esbuild (a development dependency: used by the
 * build script and when running from source), minified, no source maps and nothing fetched from
 * elsewhere: app.js and app.css (the views), terminal.js and terminal.css (xterm.js for the shell,
 * ~90 KiB gzipped, loaded only when a shell is opened).
 */
export async function buildDashboardAssets(): Promise<Record<string, Buffer>> {
  const { build } = await import('esbuild');
  const bundle = async (entry: string) => {
    const result = await build({
      entryPoints: [`${SOURCE}${entry}`],
      bundle: true,
      minify: true,
      format: 'iife',
      target: 'es2022',
      platform: 'browser',
      write: false,
      legalComments: 'none',
      logLevel: 'error',
    });
    return Buffer.from(result.outputFiles[0]?.contents ?? new Uint8Array());
  };
  // The terminal's own stylesheet, loaded with terminal.js; resolved here, as esbuild is, because
  // xterm is a development dependency like it.
  const xtermCss = createRequire(import.meta.url).resolve('@xterm/xterm/css/xterm.css');
  return {
    '/index.html': readFileSync(`${SOURCE}index.html`),
    '/app.js': await bundle('main.ts'),
    '/terminal.js': await bundle('terminal.ts'),
    '/app.css': readFileSync(`${SOURCE}app.css`),
    '/terminal.css': readFileSync(xtermCss),
  };
}

/** The page: the prebuilt copy in dist/ when there is one, else bundled now from the sources. */
export async function loadDashboardAssets(): Promise<DashboardAssets> {
  if (existsSync(`${BUILT}app.js`)) {
    return asAssets(Object.fromEntries(FILES.map((f) => [f, readFileSync(`${BUILT}${f.slice(1)}`)])));
  }
  return asAssets(await buildDashboardAssets());
}
