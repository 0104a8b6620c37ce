import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

// `npm test` builds first; this checks the real launcher (bin/tugboat.js → dist/).
describe('tugboat --help cold start', () => {
  it('loads neither the AWS SDK nor ssh2 nor the control plane', () => {
    expect(existsSync('dist/cli/main.js'), 'run `npm run build` first').toBe(true);
    const out = execFileSync(
      process.execPath,
      ['--import', './test/support/trace-imports.mjs', 'bin/tugboat.js', '--help'],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
    );
    expect(out).toContain('Usage: tugboat');
    const trace = execFileSync(
      'sh',
      [
        '-c',
        `"${process.execPath}" --import ./test/support/trace-imports.mjs bin/tugboat.js --help 2>&1 >/dev/null`,
      ],
      { encoding: 'utf8' },
    );
    const loaded = trace.split('\n').filter((l) => l.startsWith('import:'));
    expect(loaded.length).toBeGreaterThan(3);
    const heavy = loaded.filter((l) => /@aws-sdk|\/ssh2\/|@grpc|control-plane|listr2|zod|yaml/.test(l));
    expect(heavy).toEqual([]);
  });
});
