import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { HostBundle } from '../../src/bootstrap/control-plane-install.js';

/**
 * Builds the host bundle into `<dir>/bundle-<version>` as if this build were `version`
 * (`scripts/bundle.mjs --set-version`): the "older" and "newer" tugboat of an upgrade test.
 */
export function buildVersionedBundle(dir: string, version: string): HostBundle {
  const out = join(dir, `bundle-${version}`);
  const manifest = JSON.parse(
    execFileSync(process.execPath, ['scripts/bundle.mjs', '--outdir', out, '--set-version', version], {
      encoding: 'utf8',
    }),
  ) as { file: string; version: string };
  if (manifest.version !== version)
    throw new Error(`scripts/bundle.mjs built ${manifest.version}, asked for ${version}`);
  return { file: manifest.file, content: readFileSync(join(out, manifest.file)) };
}
