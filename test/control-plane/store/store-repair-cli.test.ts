import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openEmbeddedStore } from '../../../src/control-plane/store/embedded/embedded-store.js';
import { runCli } from '../../support/cli.js';

const root = mkdtempSync(join(tmpdir(), `tugboat-repair-cli-${process.pid}-`));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const enc = (s: string) => new TextEncoder().encode(s);

/** A store of 100 keys whose log has a flipped byte at half its length. */
async function damaged(name: string): Promise<{ dir: string; segment: string; size: number }> {
  const dir = join(root, name);
  const store = await openEmbeddedStore({ dataDir: dir, compactIntervalMs: 0 });
  await Promise.all(Array.from({ length: 100 }, (_, i) => store.create(`/r/${i}`, enc(`value-${i}`))));
  await store.close();
  const segment = join(dir, readdirSync(dir).find((f) => f.startsWith('wal-'))!);
  const data = readFileSync(segment);
  data.writeUInt8(data.readUInt8(data.length >> 1) ^ 0x33, data.length >> 1);
  writeFileSync(segment, data);
  return { dir, segment, size: data.length };
}

describe('tugboat store repair', () => {
  it('says what it would drop and changes nothing without a confirmation', async () => {
    const { dir, segment, size } = await damaged('declined');
    const declined = await runCli(['store', 'repair', dir], { answers: ['n'], interactive: true });
    expect(declined.code).toBe(1);
    expect(declined.stderr).toMatch(
      /would cut wal-\d+\.log at byte \d+: drops the damaged record and \d+ acknowledged write/,
    );
    expect(statSync(segment).size).toBe(size);
    const noTerminal = await runCli(['store', 'repair', dir]);
    expect(noTerminal.code).toBe(2);
    expect(noTerminal.stderr).toContain('pass --yes');
    expect(statSync(segment).size).toBe(size);
  });

  it('repairs with --yes, after which the control plane store opens; a healthy store needs nothing', async () => {
    const { dir, segment, size } = await damaged('confirmed');
    const run = await runCli(['store', 'repair', dir, '--yes']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(
      /cut wal-\d+\.log at byte (\d+): drops the damaged record and (\d+) acknowledged write/,
    );
    const [, offset, dropped] = /at byte (\d+).* and (\d+) ack/.exec(run.stdout)!;
    expect(statSync(segment).size).toBe(Number(offset));
    expect(Number(offset)).toBeLessThan(size);
    const store = await openEmbeddedStore({ dataDir: dir });
    try {
      const kept = (await store.range('/r/', { prefix: true })).kvs.length;
      expect(kept + 1 + Number(dropped)).toBe(100);
    } finally {
      await store.close();
    }
    const again = await runCli(['store', 'repair', dir, '--yes']);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('nothing to repair');
  });
});
