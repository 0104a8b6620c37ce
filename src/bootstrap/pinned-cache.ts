import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EventSink, TugboatEvent } from '../events.js';
import { type FetchScratchSweep, makeFetchScratch, sweepStaleFetchScratch } from './fetch-scratch.js';

/**
 * The laptop's cache of pinned, content-addressed artifacts (the hosts' Node.js runtime, the etcd
 * release): one verified file per artifact, fetched once. What is the same for every artifact
 * lives here; what differs (where it comes from, the checksum format, the words of events and
 * errors) is the caller's.
 */

/** A file in the cache and the checksum it must have. */
export interface PinnedFile {
  /** Its name in the cache directory (`etcd-v3.5.27-linux-amd64.tar.gz`). */
  readonly file: string;
  /** The pinned checksum, as `checksum` prints it. */
  readonly want: string;
  /** The checksum of some bytes, in the pin's format (hex SHA-256, `sha512-<base64>`, ...). */
  readonly checksum: (data: Uint8Array) => string;
}

/** How a missing (or damaged) file is fetched, made only on a cache miss. */
export interface PinnedFileSource {
  /** Announced before the fetch. */
  readonly fetching: TugboatEvent;
  /**
   * The file's bytes. `scratch` is an empty directory of this fetch's own inside the cache
   * directory, for a fetcher that writes files (npm pack); it is removed afterwards, whatever happens.
   */
  readonly fetch: (scratch: string) => Promise<Uint8Array>;
  /** The error for a fetch that failed. */
  readonly unavailable: (err: unknown) => Error;
  /** The error for fetched bytes whose checksum is `got`, not the pin's. */
  readonly mismatch: (got: string) => Error;
}

/** Options of {@link loadPinnedFile}. */
export interface LoadPinnedFileOptions {
  /** Where verified files are kept (created 0700 on the first fetch). */
  readonly cacheDir: string;
  readonly pinned: PinnedFile;
  readonly events: EventSink;
  /** Emitted when the cached copy does not match its pin (it is then fetched again). */
  readonly damaged: TugboatEvent;
  /**
   * Called on a miss, before anything is fetched; may throw (fetching switched off, a bad
   * mirror) and then nothing is fetched.
   */
  readonly source: () => PinnedFileSource;
}

/**
 * A pinned file, verified: from the cache when it holds one with the pinned checksum, else
 * fetched once, verified and cached. Bytes that do not match the pin are never returned nor
 * cached: a damaged cached copy is fetched again (`damaged` event), a fetched one fails with
 * `mismatch`. The cached name only ever holds a whole verified file: the fetch lands in a scratch
 * directory and is renamed into place, so an interrupted or failed fetch leaves no part of it
 * there (a process killed mid-fetch leaves its `.fetch-*` scratch directory, never the file; the
 * next fetch removes scratch directories untouched for an hour, see fetch-scratch.ts).
 */
export async function loadPinnedFile(options: LoadPinnedFileOptions): Promise<Buffer> {
  const { cacheDir, pinned, events } = options;
  const cached = join(cacheDir, pinned.file);
  const fromCache = readIfPresent(cached);
  if (fromCache && pinned.checksum(fromCache) === pinned.want) return fromCache;
  if (fromCache) events.emit(options.damaged);
  const source = options.source();
  events.emit(source.fetching);
  mkdirSync(cacheDir, { recursive: true, mode: 0o700 });
  reportSweep(events, cacheDir, sweepStaleFetchScratch(cacheDir));
  const own = makeFetchScratch(cacheDir);
  const scratch = own.path;
  try {
    let data: Buffer;
    try {
      data = asBuffer(await source.fetch(scratch));
    } catch (err) {
      throw source.unavailable(err);
    }
    const got = pinned.checksum(data);
    if (got !== pinned.want) throw source.mismatch(got);
    const part = join(scratch, pinned.file);
    writeFileSync(part, data, { mode: 0o600 });
    renameSync(part, cached);
    return data;
  } finally {
    own.close();
  }
}

/** Housekeeping says what it did, and never fails the fetch it runs for. */
function reportSweep(events: EventSink, cacheDir: string, sweep: FetchScratchSweep): void {
  if (sweep.removed.length > 0)
    events.emit({
      code: 'cache.scratch-removed',
      level: 'debug',
      message: `removed ${sweep.removed.length} scratch director${sweep.removed.length === 1 ? 'y' : 'ies'} of interrupted fetches from ${cacheDir} (${sweep.removed.join(', ')})`,
      data: { cacheDir, removed: sweep.removed },
    });
  for (const f of sweep.failed)
    events.emit({
      code: 'cache.scratch-remove-failed',
      level: 'warn',
      message: `could not remove the stale scratch directory ${f.name} from ${cacheDir}: ${f.reason}; remove it by hand`,
      data: { cacheDir, name: f.name },
    });
}

/** A file's bytes, or undefined when it does not exist. */
export function readIfPresent(path: string): Buffer | undefined {
  try {
    return readFileSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** The same bytes as a Buffer, without copying them (tarballs are tens of megabytes). */
export function asBuffer(data: Uint8Array): Buffer {
  return Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

/** The first line of an error's message, for a one-line event or error. */
export function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? '';
}
