import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SshShell } from '../../src/ssh/ssh-shell.js';
import { connectTestClient, type Sshd, startSshd } from '../harness/sshd.js';

// Regression: a command that ends at once can have its exit-status parsed in the same TCP read
// as the exec confirmation; the exit listener must already be there (it once lost ~1 code in 125).
let dir: string;
let sshd: Sshd;
let shell: SshShell;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), `tugboat-exit-status-${process.pid}-`));
  mkdirSync(join(dir, 'home'));
  // A HOME of its own: this machine's ~/.bashrc would only slow every session down.
  sshd = await startSshd({ extraConfig: [`SetEnv HOME=${join(dir, 'home')}`, 'MaxSessions 64'] });
  shell = await connectTestClient(sshd, join(dir, 'known_hosts'), 'exit-status');
});
afterAll(async () => {
  await shell?.close();
  await sshd?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('SshShell exit codes of instant commands', () => {
  it('reports the exit code of every one of 400 commands that exit at once', async () => {
    const codes = new Map<string, number>();
    const worker = async (w: number) => {
      for (let i = 0; i < 50; i++) {
        const r = await shell.exec(`echo ${w}-${i} >&2; exit ${(i % 3) + 1}`);
        const key = `${r.code === (i % 3) + 1 ? 'right' : `wrong:${r.code}`}`;
        codes.set(key, (codes.get(key) ?? 0) + 1);
      }
    };
    await Promise.all(Array.from({ length: 8 }, (_, w) => worker(w)));
    expect(Object.fromEntries(codes)).toEqual({ right: 400 });
  }, 300_000);
});
