import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { sha256Hex } from '../../src/bootstrap/etcd-release-cache.js';
import { makeFetchScratch, sweepStaleFetchScratch } from '../../src/bootstrap/fetch-scratch.js';
import { loadPinnedFile, type PinnedFileSource } from '../../src/bootstrap/pinned-cache.js';
import { TugboatError } from '../../src/errors.js';
import { RecordingEvents } from '../../src/events.js';

// Scratch directories of fetches into the pinned artifact cache that a crash or Ctrl-C left behind
// are removed by the next fetch; a fetch still running (here or in another process) keeps its own.
const dir = mkdtempSync(join(tmpdir(), 'fetch-scratch-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const HOUR = 3_600_000;
const good = Buffer.from('the pinned artifact\n'.repeat(100));

/** Sets the modification time of `path` to `ms` ago. */
function age(path: string, ms: number): void {
  const then = new Date(Date.now() - ms);
  utimesSync(path, then, then);
}

/** A scratch directory as a killed fetch leaves it: a partial download inside, last touched `ms` ago. */
function leftover(cacheDir: string, name: string, ms: number, inside = 'part.tgz'): string {
  const path = join(cacheDir, name);
  mkdirSync(path, { recursive: true });
  writeFileSync(join(path, inside), 'half a tarball');
  age(join(path, inside), ms);
  age(path, ms);
  return path;
}

function pinnedSource(fetch: PinnedFileSource['fetch']): PinnedFileSource {
  return {
    fetching: { code: 'artifact.fetch', level: 'info', message: 'fetching the artifact' },
    fetch,
    unavailable: (err) => new TugboatError('ARTIFACT_UNAVAILABLE', `no artifact: ${(err as Error).message}`),
    mismatch: (got) => new TugboatError('ARTIFACT_CHECKSUM', `artifact is ${got}`),
  };
}

function load(
  cacheDir: string,
  file: string,
  fetch: PinnedFileSource['fetch'],
  events = new RecordingEvents(),
) {
  return loadPinnedFile({
    cacheDir,
    pinned: { file, want: sha256Hex(good), checksum: sha256Hex },
    events,
    damaged: { code: 'artifact.cache-damaged', level: 'warn', message: 'damaged' },
    source: () => pinnedSource(fetch),
  });
}

describe('stale fetch scratch directories in the pinned artifact cache', () => {
  it('the next fetch removes the ones older than an hour; keeps cached files, recent ones and a running fetch’s own', async () => {
    const cacheDir = join(dir, 'sweep');
    mkdirSync(cacheDir);
    // A fetch in this process is under way: its scratch is made, its download not finished.
    let finish: (data: Buffer) => void = () => {};
    const running = load(
      cacheDir,
      'b-1.0.0.tgz',
      () =>
        new Promise<Buffer>((resolve) => {
          finish = resolve;
        }),
    );
    await new Promise((r) => setTimeout(r, 50));
    const runningScratch = readdirSync(cacheDir);
    expect(runningScratch).toEqual([expect.stringMatching(/^\.fetch-/)]);

    // What crashes and other fetches left.
    writeFileSync(join(cacheDir, 'a-1.0.0.tgz'), good);
    age(join(cacheDir, 'a-1.0.0.tgz'), 30 * 24 * HOUR);
    leftover(cacheDir, '.fetch-dead01', 2 * HOUR);
    leftover(cacheDir, '.fetch-dead02', 26 * HOUR);
    // Another process's fetch that started 20 minutes ago.
    leftover(cacheDir, '.fetch-other1', 20 * 60_000);
    // One made long ago whose download is still being written: its newest file counts.
    const writing = leftover(cacheDir, '.fetch-slow01', 3 * HOUR);
    writeFileSync(join(writing, 'more.tgz'), 'still arriving');
    // Not a scratch directory, whatever its age.
    writeFileSync(join(cacheDir, '.fetch-file'), 'x');
    age(join(cacheDir, '.fetch-file'), 5 * HOUR);

    const events = new RecordingEvents();
    const got = await load(cacheDir, 'c-1.0.0.tgz', async () => good, events);
    expect(got.equals(good)).toBe(true);
    expect(events.codes()).toEqual(['artifact.fetch', 'cache.scratch-removed']);
    expect(events.events[1]!.data).toEqual({ cacheDir, removed: ['.fetch-dead01', '.fetch-dead02'] });
    expect(readdirSync(cacheDir).sort()).toEqual(
      [
        '.fetch-file',
        '.fetch-other1',
        '.fetch-slow01',
        runningScratch[0]!,
        'a-1.0.0.tgz',
        'c-1.0.0.tgz',
      ].sort(),
    );

    finish(good);
    expect((await running).equals(good)).toBe(true);
    expect(readdirSync(cacheDir).sort()).toEqual(
      ['.fetch-file', '.fetch-other1', '.fetch-slow01', 'a-1.0.0.tgz', 'b-1.0.0.tgz', 'c-1.0.0.tgz'].sort(),
    );
    // A cache hit sweeps nothing (no fetch, no housekeeping on the hot path).
    age(join(cacheDir, '.fetch-other1'), 2 * HOUR);
    age(join(cacheDir, '.fetch-other1', 'part.tgz'), 2 * HOUR);
    const hit = new RecordingEvents();
    await load(cacheDir, 'c-1.0.0.tgz', async () => good, hit);
    expect(hit.codes()).toEqual([]);
    expect(readdirSync(cacheDir)).toContain('.fetch-other1');
  });

  it('a live scratch is touched while its fetch runs, so another process’s sweep keeps it', async () => {
    const cacheDir = join(dir, 'heartbeat');
    mkdirSync(cacheDir);
    const own = makeFetchScratch(cacheDir, 20);
    age(own.path, 2 * HOUR);
    const old = statSync(own.path).mtimeMs;
    for (let i = 0; i < 200 && statSync(own.path).mtimeMs === old; i++)
      await new Promise((r) => setTimeout(r, 10));
    expect(statSync(own.path).mtimeMs).toBeGreaterThan(Date.now() - HOUR);
    expect(sweepStaleFetchScratch(cacheDir)).toEqual({ removed: [], failed: [] });
    own.close();
    expect(readdirSync(cacheDir)).toEqual([]);
  });

  it('tolerates what is not there: no cache directory, a leftover another sweep removed first', () => {
    expect(sweepStaleFetchScratch(join(dir, 'none'))).toEqual({ removed: [], failed: [] });
    const cacheDir = join(dir, 'gone');
    mkdirSync(cacheDir);
    leftover(cacheDir, '.fetch-gone01', 2 * HOUR);
    // Two fetches' sweeps after each other: the first removes the leftover, the second finds nothing.
    const first = sweepStaleFetchScratch(cacheDir);
    const second = sweepStaleFetchScratch(cacheDir);
    expect([first, second]).toEqual([
      { removed: ['.fetch-gone01'], failed: [] },
      { removed: [], failed: [] },
    ]);
    // The clock decides nothing but age: with `now` two hours on, a fresh scratch is stale.
    leftover(cacheDir, '.fetch-fresh1', 0);
    expect(sweepStaleFetchScratch(cacheDir, { now: Date.now() + 2 * HOUR }).removed).toEqual([
      '.fetch-fresh1',
    ]);
  });
});
