import { closeSync, mkdirSync, openSync, unlinkSync } from 'node:fs';
import { dirname } from 'node:path';
import { TugboatError } from '../errors.js';

/** Exit code when a kubeconfig cannot be written (locked, not YAML); the cluster itself is fine. */
export const EXIT_KUBECONFIG = 5;

/** How long to wait for another writer's `<file>.lock` to go. @default 10 s */
export const DEFAULT_LOCK_TIMEOUT_MS = 10_000;

const sleepCell = new Int32Array(new SharedArrayBuffer(4));
/** A short synchronous pause (the kubeconfig writers are synchronous, as kubectl's are). */
function pause(ms: number): void {
  Atomics.wait(sleepCell, 0, 0, ms);
}

function lockOne(file: string, deadline: number): void {
  // kubectl makes the folder before taking the lock; 0700 because the folder holds credentials.
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const lock = `${file}.lock`;
  for (let attempt = 0; ; attempt++) {
    try {
      closeSync(openSync(lock, 'wx', 0o600));
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      if (Date.now() >= deadline) {
        throw new TugboatError(
          'KUBECONFIG_LOCKED',
          `open ${lock}: file exists: another kubectl or tugboat is writing ${file}; if none is running, the lock is stale: remove ${lock} and retry`,
          { exitCode: EXIT_KUBECONFIG },
        );
      }
      // Bounded exponential backoff with jitter: 20 ms doubling up to 320 ms.
      const base = Math.min(320, 20 * 2 ** Math.min(attempt, 4));
      pause(Math.max(1, Math.min(base / 2 + Math.random() * base, deadline - Date.now())));
    }
  }
}

/**
 * Takes kubectl's lock on every file in `files` — `<file>.lock` made with O_CREAT|O_EXCL, in
 * sorted order like kubectl (so two writers never deadlock) — runs `fn`, and removes the locks.
 * A lock held by someone else is retried until `timeoutMs`; then a KUBECONFIG_LOCKED error names
 * the lock file, as kubectl's "open …lock: file exists" does, and says how to clear a stale one.
 */
export function withKubeconfigLock<T>(
  files: readonly string[],
  fn: () => T,
  timeoutMs = DEFAULT_LOCK_TIMEOUT_MS,
): T {
  const deadline = Date.now() + timeoutMs;
  const taken: string[] = [];
  try {
    for (const file of [...new Set(files)].sort()) {
      lockOne(file, deadline);
      taken.push(file);
    }
    return fn();
  } finally {
    for (const file of taken) {
      try {
        unlinkSync(`${file}.lock`);
      } catch {
        // Already gone (someone removed it by hand): nothing to release.
      }
    }
  }
}
