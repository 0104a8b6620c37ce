import { readFileSync } from 'node:fs';

/** Set by the bundlers (esbuild `define`, scripts/bundle.mjs): the version the host bundle was built as. */
declare const __TUGBOAT_VERSION__: string | undefined;

function packageVersion(): string {
  try {
    // src/version.ts under tsx and dist/version.js both sit one level below package.json.
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
      version?: unknown;
    };
    return typeof pkg.version === 'string' ? pkg.version : '0.0.0';
  } catch {
    return '0.0.0';
  }
}

/**
 * tugboat's own version: package.json's, or the one the bundle was built with (`scripts/bundle.mjs
 * --set-version V` builds a bundle that says V, which is how the upgrade tests get a "new version").
 * Agents report it in their Node (`nodeInfo.kubeletVersion`, `v1.32.0+tugboat-<version>`), the
 * API server in `/version`'s `gitVersion`: `tugboat upgrade` reads the cluster's versions from there.
 */
export const TUGBOAT_VERSION: string =
  typeof __TUGBOAT_VERSION__ === 'string' ? __TUGBOAT_VERSION__ : packageVersion();

/** The Kubernetes-style version a tugboat component reports: `v1.<minor>.0+tugboat-<version>` (as k3s's `+k3s1`). */
export function reportedVersion(minor: string, version: string = TUGBOAT_VERSION): string {
  return `v1.${minor}.0+tugboat-${version}`;
}

/** The tugboat version inside a reported version (`v1.32.0+tugboat-0.2.0` → `0.2.0`); undefined for any other. */
export function tugboatVersionOf(reported: string | undefined): string | undefined {
  const m = /\+tugboat-([0-9A-Za-z.-]+)$/.exec(reported ?? '');
  return m?.[1];
}
