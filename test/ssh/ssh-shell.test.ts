import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SshShell } from '../../src/ssh/ssh-shell.js';
import { connectTestClient, type Sshd, startSshd } from '../harness/sshd.js';
import { describeShellContract } from './shell-contract.js';

let sshd: Sshd;
let shell: SshShell;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), `tugboat-ssh-shell-${process.pid}-`));
  sshd = await startSshd();
  shell = await connectTestClient(sshd, join(dir, 'known_hosts'), 'ssh-test-host');
});

afterAll(async () => {
  await shell?.close();
  await sshd?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describeShellContract(
  'SshShell',
  () => shell,
  () => dir,
);

describe('SshShell specifics', () => {
  it('runs commands under /bin/sh even though the wrapper reads $$ first, and hides the pid marker', async () => {
    const r = await shell.exec('echo "$0" >&2; echo x >&2');
    expect(r.stderr).toBe('/bin/sh\nx\n');
  });

  it('runs many commands concurrently on one connection', async () => {
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) => shell.exec(`sleep 0.2; echo ${i}`)),
    );
    expect(results.map((r) => r.stdout)).toEqual(Array.from({ length: 8 }, (_, i) => `${i}\n`));
  });
});
