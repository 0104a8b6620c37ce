import { execFile, execFileSync } from 'node:child_process';

/**
 * Runs a local admin command (ip, iptables, mount, ssh-keygen) and returns its stdout; on failure
 * throws with the command line and its stderr so a broken namespace setup says what went wrong.
 */
export function run(command: string, args: readonly string[], input?: string): string {
  try {
    return execFileSync(command, [...args], {
      encoding: 'utf8',
      input,
      stdio: ['pipe', 'pipe', 'pipe'],
      timeout: 60_000,
    });
  } catch (err) {
    const e = err as { stderr?: string; status?: number; message: string };
    throw new Error(
      `${command} ${args.join(' ')} failed (exit ${e.status ?? '?'}): ${(e.stderr ?? e.message).trim()}`,
    );
  }
}

/** Like `run`, but asynchronous, so slow commands (docker import, nsenter) do not block timers. */
export function runAsync(command: string, args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(command, [...args], { encoding: 'utf8', timeout: 120_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${command} ${args.join(' ')} failed: ${(stderr || err.message).trim()}`));
      else resolve(stdout);
    });
  });
}

/** Runs a cleanup step and swallows its failure (the thing may already be gone); returns whether it ran. */
export function tryRun(command: string, args: readonly string[]): boolean {
  try {
    execFileSync(command, [...args], { stdio: 'ignore', timeout: 60_000 });
    return true;
  } catch {
    return false;
  }
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
