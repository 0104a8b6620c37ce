import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AttachOptions, SshShell } from '../../src/ssh/ssh-shell.js';
import { connectTestClient, type Sshd, startSshd } from '../harness/sshd.js';

// `tugboat ssh`'s session: the caller's streams wired to a real sshd's session.
let sshd: Sshd;
let shell: SshShell;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), `tugboat-ssh-attach-${process.pid}-`));
  sshd = await startSshd();
  shell = await connectTestClient(sshd, join(dir, 'known_hosts'));
});

afterAll(async () => {
  await shell?.close();
  await sshd?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function attach(options: Omit<AttachOptions, 'stdout' | 'stderr'>) {
  let stdout = '';
  let stderr = '';
  const code = await shell.attach({
    ...options,
    stdout: (c) => {
      stdout += c.toString();
    },
    stderr: (c) => {
      stderr += c.toString();
    },
  });
  return { code, stdout, stderr };
}

describe('SshShell.attach', () => {
  it('passes the command line to the login shell and returns its exit code and both streams', async () => {
    expect(await attach({ command: 'echo out; echo err >&2; exit 7' })).toEqual({
      code: 7,
      stdout: 'out\n',
      stderr: 'err\n',
    });
  });

  it('pipes the caller stdin to the command until it ends', async () => {
    const stdin = new PassThrough();
    const done = attach({ command: 'tr a-z A-Z', stdin: stdin as unknown as NodeJS.ReadStream });
    stdin.write('hello ');
    stdin.end('ssh\n');
    expect(await done).toEqual({ code: 0, stdout: 'HELLO SSH\n', stderr: '' });
  });

  it('without stdin the command sees end of input at once', async () => {
    expect(await attach({ command: 'cat; echo done' })).toMatchObject({ code: 0, stdout: 'done\n' });
  });

  it('a command killed by a signal exits 128 + its number, like ssh', async () => {
    expect((await attach({ command: 'kill -TERM $$' })).code).toBe(143);
  });

  it('with a pty the command sees a terminal of the given size', async () => {
    const r = await attach({
      command: 'stty size; test -t 0 && echo tty',
      pty: { rows: 30, cols: 100, term: 'xterm' },
    });
    expect(r.code).toBe(0);
    expect(r.stdout.replaceAll('\r', '')).toBe('30 100\ntty\n');
  });
});
