import { existsSync, mkdirSync, rmdirSync } from 'node:fs';

/**
 * The machine's directories that bind mounts of simulated hosts need as targets (`/opt/tugboat`
 * and the like). They are made when the first host of this process starts and removed, if they are
 * still empty, when the last one stops — only those this process made: a directory that was there
 * before is left as it was.
 */
const made: string[] = [];
let users = 0;

/** Makes the missing targets; pair every call with {@link releaseMountTargets}. */
export function acquireMountTargets(dirs: readonly string[]): void {
  users += 1;
  for (const dir of dirs) {
    if (existsSync(dir)) continue;
    mkdirSync(dir, { recursive: true });
    made.push(dir);
  }
}

/** Drops one user; the last one removes the (empty) targets this process made. */
export function releaseMountTargets(): void {
  users = Math.max(0, users - 1);
  if (users > 0) return;
  for (const dir of made.splice(0).reverse()) {
    try {
      // Only an empty directory goes: whatever a test left in one is a leftover to be reported.
      rmdirSync(dir);
    } catch {}
  }
}
