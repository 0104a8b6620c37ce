import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** Adds a host's key line to a known_hosts file (none given: nothing to do). */
export function pinHostKey(file: string | undefined, line: string): void {
  if (!file) return;
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  appendFileSync(file, `${line}\n`, { mode: 0o600 });
}

/** Removes a host's key line from a known_hosts file, when the host goes. */
export function unpinHostKey(file: string | undefined, line: string): void {
  if (!file || !existsSync(file)) return;
  const kept = readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== line);
  writeFileSync(file, kept.join('\n'));
}
