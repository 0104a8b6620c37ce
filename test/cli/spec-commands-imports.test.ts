import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

/** Modules a spec-only command must never load: it works offline and starts fast. */
const FORBIDDEN = /@aws-sdk|\/ssh2\/|@grpc|control-plane|\/agent\/|listr2/;

// `npm test` builds first; this checks the real launcher (bin/tugboat.js → dist/).
describe.each([
  ['validate', '-f', 'examples/three-az.yaml'],
  ['template', '-f', 'examples/three-az.yaml'],
  ['schema'],
  ['init', 'demo'],
])('tugboat %s', (...argv) => {
  it('loads no AWS SDK, ssh2, etcd or control-plane module', () => {
    expect(existsSync('dist/cli/main.js'), 'run `npm run build` first').toBe(true);
    const run = spawnSync(
      process.execPath,
      ['--import', './test/support/trace-imports.mjs', 'bin/tugboat.js', ...argv],
      {
        encoding: 'utf8',
        env: { ...process.env, AWS_ENDPOINT_URL: 'http://127.0.0.1:9', AWS_REGION: 'us-east-1' },
        timeout: 60_000,
      },
    );
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout.length).toBeGreaterThan(100);
    const loaded = run.stderr.split('\n').filter((l) => l.startsWith('import:'));
    // The trace does see the modules the command needs (so an empty forbidden list means something).
    expect(loaded.some((l) => l.includes('/zod/'))).toBe(true);
    expect(loaded.filter((l) => FORBIDDEN.test(l))).toEqual([]);
  });
});
