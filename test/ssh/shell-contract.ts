import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AbortError, RemoteCommandError } from '../../src/errors.js';
import { CommandTimeoutError } from '../../src/ssh/errors.js';
import { type RemoteShell, runChecked } from '../../src/ssh/remote-shell.js';

/** True while `pid` exists and is not a zombie (PID 1 reaps orphans late here). */
export function isAlive(pid: number): boolean {
  const stat = `/proc/${pid}/stat`;
  if (!existsSync(stat)) return false;
  try {
    const state = readFileSync(stat, 'utf8').replace(/^.*\) /s, '')[0];
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

/** Polls (bounded) until `pid` is gone. */
export async function waitGone(pid: number, timeoutMs = 15_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

/**
 * The behaviour every RemoteShell must have, run against LocalShell and the ssh2 shell (against a
 * real sshd on loopback, so "remote" files and processes are on this machine and can be checked).
 */
export function describeShellContract(name: string, shell: () => RemoteShell, workDir: () => string): void {
  describe(`${name}: RemoteShell contract`, () => {
    it('returns exit code, stdout and stderr separately', async () => {
      const r = await shell().exec('echo out; echo err >&2; exit 3');
      expect(r).toEqual({ code: 3, stdout: 'out\n', stderr: 'err\n' });
    });

    it('feeds stdin (text and bytes) and closes it when none is given', async () => {
      await expect(shell().exec('cat', { stdin: 'secret\nline' })).resolves.toMatchObject({
        stdout: 'secret\nline',
      });
      const bytes = Buffer.from([0, 1, 2, 255, 10, 13]);
      await expect(shell().exec('wc -c', { stdin: bytes })).resolves.toMatchObject({
        stdout: expect.stringMatching(/^\s*6\s*$/),
      });
      await expect(shell().exec('cat; echo done')).resolves.toMatchObject({ code: 0, stdout: 'done\n' });
    });

    it('streams output as it arrives', async () => {
      const chunks: string[] = [];
      const errs: string[] = [];
      const r = await shell().exec('echo a; sleep 0.5; echo b; echo e >&2', {
        onStdout: (c) => chunks.push(c),
        onStderr: (c) => errs.push(c),
      });
      expect(chunks[0]).toBe('a\n');
      expect(chunks.join('')).toBe(r.stdout);
      expect(r.stdout).toBe('a\nb\n');
      expect(errs.join('')).toBe('e\n');
    });

    it('reports death by signal', async () => {
      const r = await shell().exec('kill -TERM $$');
      expect(r.code).toBeNull();
      expect(r.signal).toBe('TERM');
    });

    it('runs under /bin/sh with quoting intact', async () => {
      const r = await shell().exec(`printf '%s|' "a b" 'c$d' && echo`);
      expect(r.stdout).toBe('a b|c$d|\n');
    });

    it('kills the whole process group on timeout and keeps the output so far', async () => {
      const err = await shell()
        .exec('sleep 300 & echo $!; wait', { timeoutMs: 2_000 })
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect(err).toBeInstanceOf(CommandTimeoutError);
      const pid = Number((err as CommandTimeoutError).stdout.trim());
      expect(pid).toBeGreaterThan(1);
      expect(await waitGone(pid)).toBe(true);
      expect((err as Error).message).toContain(shell().host);
    });

    it('kills the process group when aborted', async () => {
      const ac = new AbortController();
      let pid = 0;
      const run = shell().exec('sleep 300 & echo $!; wait', {
        signal: ac.signal,
        onStdout: (c) => {
          pid = Number(c.trim());
          ac.abort();
        },
      });
      await expect(run).rejects.toBeInstanceOf(AbortError);
      expect(pid).toBeGreaterThan(1);
      expect(await waitGone(pid)).toBe(true);
    });

    it('rejects at once when the signal is already aborted', async () => {
      const ac = new AbortController();
      ac.abort();
      const marker = join(workDir(), `never-${Date.now()}`);
      await expect(shell().exec(`sleep 1; touch ${marker}`, { signal: ac.signal })).rejects.toBeInstanceOf(
        AbortError,
      );
      await new Promise((r) => setTimeout(r, 1_500));
      expect(existsSync(marker)).toBe(false);
    });

    it('uploads bytes and files with the requested mode, tightening an existing file', async () => {
      const secret = join(workDir(), 'secret.key');
      writeFileSync(secret, 'old', { mode: 0o644 });
      await shell().upload(Buffer.from('new secret\n'), secret, 0o600);
      expect(readFileSync(secret, 'utf8')).toBe('new secret\n');
      expect(statSync(secret).mode & 0o777).toBe(0o600);

      const local = join(workDir(), 'local-script.sh');
      writeFileSync(local, '#!/bin/sh\necho ran\n'.repeat(5_000));
      const remote = join(workDir(), 'uploaded-script.sh');
      await shell().upload(local, remote, 0o755);
      expect(statSync(remote).mode & 0o777).toBe(0o755);
      expect(readFileSync(remote).equals(readFileSync(local))).toBe(true);
    });

    it('fails an upload into a missing directory with the path in the message', async () => {
      const target = join(workDir(), 'missing-dir', 'f');
      await expect(shell().upload(Buffer.from('x'), target, 0o600)).rejects.toThrow(/missing-dir/);
    });

    it('runChecked: a failure names host, step, exit code and the redacted stderr tail', async () => {
      const token = 'tok-3f9a8b7c6d5e4f30';
      const err = await runChecked(shell(), 'read t; echo "bad token $t" >&2; exit 7', {
        step: 'join cluster',
        stdin: `${token}\n`,
        secrets: [token],
      }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(RemoteCommandError);
      const e = err as RemoteCommandError;
      expect(e.host).toBe(shell().host);
      expect(e.remoteExitCode).toBe(7);
      expect(e.message).toContain('join cluster failed (exit 7)');
      expect(e.message).toContain('bad token [REDACTED]');
      expect(e.message).not.toContain(token);
      await expect(runChecked(shell(), 'echo fine', { step: 'ok' })).resolves.toMatchObject({
        stdout: 'fine\n',
      });
    });
  });
}
