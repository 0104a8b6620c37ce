import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { sha256Hex } from '../../src/bootstrap/etcd-release-cache.js';
import {
  type LoadPinnedFileOptions,
  loadPinnedFile,
  type PinnedFileSource,
} from '../../src/bootstrap/pinned-cache.js';
import { TugboatError } from '../../src/errors.js';
import { RecordingEvents } from '../../src/events.js';

const dir = mkdtempSync(join(tmpdir(), 'stageonce-pinned-cache-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const good = Buffer.from('the pinned artifact\n'.repeat(1000));
const file = 'artifact-1.0.0.tgz';

/** A source whose fetch runs `fetch` and counts calls; errors carry their reason. */
function source(fetch: PinnedFileSource['fetch']) {
  const calls: string[] = [];
  const made: PinnedFileSource = {
    fetching: { code: 'artifact.fetch', level: 'info', message: 'fetching the artifact' },
    fetch: (scratch) => {
      calls.push(scratch);
      return fetch(scratch);
    },
    unavailable: (err) => new TugboatError('ARTIFACT_UNAVAILABLE', `no artifact: ${(err as Error).message}`),
    mismatch: (got) => new TugboatError('ARTIFACT_CHECKSUM', `artifact is ${got}`),
  };
  return { calls, made };
}

function options(
  cacheDir: string,
  from: PinnedFileSource,
  events = new RecordingEvents(),
): LoadPinnedFileOptions {
  return {
    cacheDir,
    pinned: { file, want: sha256Hex(good), checksum: sha256Hex },
    events,
    damaged: { code: 'artifact.cache-damaged', level: 'warn', message: 'cached artifact damaged' },
    source: () => from,
  };
}

describe('loadPinnedFile (the laptop cache of pinned artifacts)', () => {
  it('fetches once, verifies and caches (0600 in a 0700 directory); a cache hit fetches nothing', async () => {
    const cacheDir = join(dir, 'hit');
    const { calls, made } = source(async () => good);
    const events = new RecordingEvents();
    const first = await loadPinnedFile(options(cacheDir, made, events));
    expect(first.equals(good)).toBe(true);
    expect(events.codes()).toEqual(['artifact.fetch']);
    expect(readdirSync(cacheDir)).toEqual([file]);
    expect(statSync(cacheDir).mode & 0o777).toBe(0o700);
    expect(statSync(join(cacheDir, file)).mode & 0o777).toBe(0o600);
    const again = new RecordingEvents();
    const second = await loadPinnedFile({
      ...options(cacheDir, made, again),
      source: () => {
        throw new Error('a cache hit must not ask for a source');
      },
    });
    expect(second.equals(good)).toBe(true);
    expect(calls).toHaveLength(1);
    expect(again.codes()).toEqual([]);
  });

  it('refuses fetched bytes that do not match the pin: the mismatch error, nothing cached, no scratch left', async () => {
    const cacheDir = join(dir, 'mismatch');
    const bad = Buffer.from('not the artifact');
    const { made } = source(async () => bad);
    const err = await loadPinnedFile(options(cacheDir, made)).catch((e: unknown) => e);
    expect((err as TugboatError).code).toBe('ARTIFACT_CHECKSUM');
    expect((err as Error).message).toBe(`artifact is ${sha256Hex(bad)}`);
    expect(readdirSync(cacheDir)).toEqual([]);
  });

  it('fetches a damaged cached copy again, says so, and replaces it', async () => {
    const cacheDir = join(dir, 'damaged');
    mkdirSync(cacheDir);
    writeFileSync(join(cacheDir, file), 'bit rot');
    const { calls, made } = source(async () => good);
    const events = new RecordingEvents();
    const got = await loadPinnedFile(options(cacheDir, made, events));
    expect(got.equals(good)).toBe(true);
    expect(calls).toHaveLength(1);
    expect(events.codes()).toEqual(['artifact.cache-damaged', 'artifact.fetch']);
    expect(readFileSync(join(cacheDir, file)).equals(good)).toBe(true);
  });

  it('an interrupted fetch leaves no partial file: not at the cached name, no scratch, a damaged copy untouched', async () => {
    const cacheDir = join(dir, 'interrupted');
    mkdirSync(cacheDir);
    writeFileSync(join(cacheDir, file), 'bit rot');
    // A fetcher that writes half of the file into its scratch directory, then loses the connection.
    const { made } = source(async (scratch) => {
      writeFileSync(join(scratch, file), good.subarray(0, good.length / 2));
      throw new Error('socket hang up');
    });
    const err = await loadPinnedFile(options(cacheDir, made)).catch((e: unknown) => e);
    expect((err as TugboatError).code).toBe('ARTIFACT_UNAVAILABLE');
    expect((err as Error).message).toBe('no artifact: socket hang up');
    expect(readdirSync(cacheDir)).toEqual([file]);
    expect(readFileSync(join(cacheDir, file), 'utf8')).toBe('bit rot');
  });

  it('a source that refuses (fetching off, a bad mirror) fetches nothing and creates nothing', async () => {
    const cacheDir = join(dir, 'refused');
    const events = new RecordingEvents();
    await expect(
      loadPinnedFile({
        ...options(cacheDir, source(async () => good).made, events),
        source: () => {
          throw new TugboatError('ARTIFACT_UNAVAILABLE', 'fetching is off: fill the cache');
        },
      }),
    ).rejects.toThrow('fetching is off: fill the cache');
    expect(events.codes()).toEqual([]);
    expect(existsSync(cacheDir)).toBe(false);
  });
});
