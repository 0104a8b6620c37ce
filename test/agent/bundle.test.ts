import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';

it('bundles the agent into plain ESM without native addons that runs under node', () => {
  const dir = mkdtempSync(join(tmpdir(), `tugboat-agent-bundle-${process.pid}-`));
  try {
    execFileSync('node', ['scripts/bundle-agent.mjs', dir], { stdio: 'pipe' });
    const files = readdirSync(dir);
    expect(files).toContain('bin.js');
    expect(files.filter((f) => f.endsWith('.node'))).toEqual([]);
    const run = spawnSync('node', [join(dir, 'bin.js')], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH },
    });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('usage: tugboat-agent --config FILE');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
