import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UsageError } from '../errors.js';
import type { HostBundle } from './control-plane-install.js';

/**
 * The host bundle to upload: the file at `path` when given, else the one `npm run build` wrote
 * (`dist/bundles/manifest.json` in the nearest folder above this module that has one, which is the
 * package root both from `src/` under tsx and from `dist/`). Throws a UsageError saying how to get one.
 */
export function loadHostBundle(path?: string): HostBundle {
  if (path) {
    if (!existsSync(path))
      throw new UsageError(`--bundle ${path} does not exist: run npm run build or fix the path`);
    return { file: basename(path), content: readFileSync(path) };
  }
  for (let dir = dirname(fileURLToPath(import.meta.url)); dir !== dirname(dir); dir = dirname(dir)) {
    const manifest = join(dir, 'dist', 'bundles', 'manifest.json');
    if (existsSync(manifest)) {
      const { file } = JSON.parse(readFileSync(manifest, 'utf8')) as { file: string };
      return { file, content: readFileSync(join(dir, 'dist', 'bundles', file)) };
    }
  }
  throw new UsageError(
    'no host bundle found: run `npm run build` (it writes dist/bundles/), or pass --bundle FILE',
  );
}

/**
 * The version a host bundle was built as, from its first line (`// tugboat-host-bundle 0.2.0`,
 * which scripts/bundle.mjs writes); undefined for a bundle without one (built before it existed).
 */
export function hostBundleVersion(bundle: HostBundle): string | undefined {
  const first = bundle.content.subarray(0, 200).toString('utf8').split('\n', 1)[0] ?? '';
  return /^\/\/ tugboat-host-bundle ([0-9A-Za-z.+-]+)$/.exec(first)?.[1];
}
