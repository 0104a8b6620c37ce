import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { acquireMountTargets, releaseMountTargets } from './mount-targets.js';

describe('mount targets of simulated hosts', () => {
  const base = mkdtempSync(join(tmpdir(), 'tugboat-mount-targets-'));
  afterEach(() => rmSync(base, { recursive: true, force: true }));

  it('makes the missing ones and removes them when the last user is done', () => {
    const dirs = [join(base, 'opt/tugboat'), join(base, 'etc/tugboat')];
    acquireMountTargets(dirs);
    acquireMountTargets(dirs);
    expect(dirs.every((d) => existsSync(d))).toBe(true);
    releaseMountTargets();
    expect(dirs.every((d) => existsSync(d))).toBe(true);
    releaseMountTargets();
    expect(dirs.some((d) => existsSync(d))).toBe(false);
  });

  it('leaves directories that were there before, and any that are not empty', () => {
    const before = join(base, 'var/lib/tugboat');
    const filled = join(base, 'var/log/tugboat');
    mkdirSync(before, { recursive: true });
    acquireMountTargets([before, filled]);
    writeFileSync(join(filled, 'left.log'), 'x');
    releaseMountTargets();
    expect(existsSync(before)).toBe(true);
    expect(existsSync(join(filled, 'left.log'))).toBe(true);
  });
});
