import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';

// The roll itself runs in test/upgrade/roll.test.ts (SSH hosts); here: flags and usage errors,
// which fail before anything is contacted.
const dir = mkdtempSync(join(tmpdir(), 'tugboat-upgrade-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('tugboat upgrade (CLI)', () => {
  it('documents its flags', async () => {
    const run = await runCli(['upgrade', '--help']);
    expect(run.code).toBe(0);
    for (const flag of [
      '--to-version',
      '--max-unavailable',
      '--dry-run',
      '--allow-downgrade',
      '--yes',
      '--inventory',
    ])
      expect(run.stdout).toContain(flag);
  });

  it('needs exactly one of NAME and --inventory, and a sane --max-unavailable (exit 2)', async () => {
    const none = await runCli(['upgrade']);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('tugboat upgrade: give a cluster NAME or --inventory FILE');
    const both = await runCli(['upgrade', 'demo', '--inventory', 'hosts.yaml']);
    expect(both.code).toBe(2);
    const bundle = join(dir, 'b.mjs');
    writeFileSync(bundle, '');
    const zero = await runCli([
      'upgrade',
      '--inventory',
      join(dir, 'hosts.yaml'),
      '--bundle',
      bundle,
      '--max-unavailable',
      '0',
    ]);
    expect(zero.code).toBe(2);
    expect(zero.stderr).toContain('--max-unavailable "0" must be a whole number of at least 1');
  });
});
