import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openEmbeddedStore } from '../../../src/control-plane/store/embedded/embedded-store.js';
import {
  nodeFileSystem,
  type StoreFile,
  type StoreFileSystem,
} from '../../../src/control-plane/store/embedded/file-io.js';

const root = mkdtempSync(join(tmpdir(), `tugboat-promises-${process.pid}-`));
let n = 0;
const fresh = () => join(root, `d${n++}`);
afterAll(() => rmSync(root, { recursive: true, force: true }));

const enc = (s: string) => new TextEncoder().encode(s);

/**
 * A file layer over the real one that logs every write and fdatasync on log segments, can hold
 * fdatasync until released, and can fail the next write or fdatasync: the seam the store's
 * durability promises are checked through (kill -9 cannot: the page cache survives it).
 */
class RecordingFs implements StoreFileSystem {
  readonly log: string[] = [];
  failNext: 'write' | 'datasync' | undefined;
  hold: Promise<void> | undefined;

  private release: () => void = () => undefined;

  /** Holds every fdatasync until the returned function (or releaseHeld) is called. */
  holdDatasync(): () => void {
    this.hold = new Promise((r) => {
      this.release = r;
    });
    return () => this.release();
  }

  /** Lets held fdatasyncs finish (so a failed test can still close its store). */
  releaseHeld(): void {
    this.release();
  }

  async open(path: string, flags: string, mode: number): Promise<StoreFile> {
    const real = await nodeFileSystem.open(path, flags, mode);
    if (!/wal-\d+\.log$/.test(path)) return real;
    const self = this;
    return {
      async write(buffer, offset, length) {
        if (self.failNext === 'write') {
          self.failNext = undefined;
          self.log.push('write-failed');
          throw Object.assign(new Error('EIO: i/o error, write'), { code: 'EIO' });
        }
        const res = await real.write(buffer, offset, length);
        self.log.push(`write ${res.bytesWritten}`);
        return res;
      },
      async datasync() {
        self.log.push('datasync-start');
        await self.hold;
        if (self.failNext === 'datasync') {
          self.failNext = undefined;
          self.log.push('datasync-failed');
          throw Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' });
        }
        await real.datasync();
        self.log.push('datasync-end');
      },
      sync: () => real.sync(),
      close: () => real.close(),
    };
  }
}

describe('embedded store durability promises (through an injected file layer)', () => {
  it('acknowledges no write before the fdatasync that covers it has finished', async () => {
    const fs = new RecordingFs();
    const store = await openEmbeddedStore({ dataDir: fresh(), fs, compactIntervalMs: 0 });
    try {
      fs.log.length = 0;
      const release = fs.holdDatasync();
      const acks = Array.from({ length: 20 }, (_, i) =>
        store.create(`/a/${i}`, enc(`v${i}`)).then((r) => {
          fs.log.push(`ack /a/${i} ${r.ok}`);
        }),
      );
      // Writes are on their way to the disk but fdatasync has not returned: nobody has an answer.
      for (let i = 0; i < 200 && !fs.log.includes('datasync-start'); i++)
        await new Promise((r) => setTimeout(r, 50));
      await new Promise((r) => setTimeout(r, 50));
      expect(fs.log).toContain('datasync-start');
      expect(fs.log.filter((l) => l.startsWith('ack'))).toEqual([]);
      release();
      await Promise.all(acks);
      // Every ack comes after a write and the end of the fdatasync after that write.
      for (const [i, line] of fs.log.entries()) {
        if (!line.startsWith('ack')) continue;
        const before = fs.log.slice(0, i);
        const lastWrite = before.findLastIndex((l) => l.startsWith('write '));
        const syncedAfter = before.findIndex((l, j) => j > lastWrite && l === 'datasync-end');
        expect(lastWrite, `${line} after a write`).toBeGreaterThanOrEqual(0);
        expect(syncedAfter, `${line} after its fdatasync ended`).toBeGreaterThan(lastWrite);
      }
      expect(fs.log.filter((l) => l.startsWith('ack')).length).toBe(20);
    } finally {
      fs.releaseHeld();
      await store.close();
    }
  });

  it('shares one fdatasync among concurrent writes (group commit)', async () => {
    const fs = new RecordingFs();
    const store = await openEmbeddedStore({ dataDir: fresh(), fs, compactIntervalMs: 0 });
    try {
      fs.log.length = 0;
      const release = fs.holdDatasync();
      const writes = Array.from({ length: 100 }, (_, i) => store.create(`/g/${i}`, enc(`v${i}`)));
      await new Promise((r) => setTimeout(r, 50));
      release();
      const results = await Promise.all(writes);
      expect(results.every((r) => r.ok)).toBe(true);
      // The first write goes alone; the 99 that queued behind its fdatasync share the next one.
      expect(fs.log.filter((l) => l === 'datasync-end').length).toBe(2);
      expect(fs.log.filter((l) => l.startsWith('write ')).length).toBe(2);
    } finally {
      fs.releaseHeld();
      await store.close();
    }
  });

  for (const failing of ['write', 'datasync'] as const) {
    it(`refuses every write after a failed ${failing}, and never shows the failed write`, async () => {
      const fs = new RecordingFs();
      const dir = fresh();
      const store = await openEmbeddedStore({ dataDir: dir, fs, compactIntervalMs: 0 });
      try {
        expect((await store.create('/f/before', enc('ok'))).ok).toBe(true);
        fs.failNext = failing;
        await expect(store.create('/f/lost', enc('x'))).rejects.toMatchObject({ reason: 'Unavailable' });
        // The disk "works" again, but the file's state is unknown (fsyncgate): no more writes.
        await expect(store.create('/f/after', enc('y'))).rejects.toMatchObject({ reason: 'Unavailable' });
        await expect(store.get('/f/lost')).rejects.toMatchObject({ reason: 'Unavailable' });
        expect(fs.log.filter((l) => l.startsWith('write ')).length).toBeLessThanOrEqual(
          failing === 'write' ? 2 : 3,
        );
      } finally {
        await store.close();
      }
      // Reopening decides what is durable; the acknowledged write is there.
      const again = await openEmbeddedStore({ dataDir: dir, compactIntervalMs: 0 });
      try {
        expect(await again.get('/f/before')).toBeDefined();
        expect(await again.get('/f/after')).toBeUndefined();
      } finally {
        await again.close();
      }
    });
  }

  it('takes over the lock of an owner that died, and refuses it while the owner runs', async () => {
    const dir = fresh();
    await openEmbeddedStore({ dataDir: dir }).then((s) => s.close());
    const owner = spawn('sleep', ['30'], { stdio: 'ignore' });
    const pid = owner.pid!;
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const started = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
    writeFileSync(join(dir, 'LOCK'), `${pid} ${started}\n`);
    const exited = new Promise((r) => owner.once('exit', r));
    try {
      await expect(openEmbeddedStore({ dataDir: dir })).rejects.toThrow(
        new RegExp(`locked by running process ${pid}`),
      );
    } finally {
      owner.kill('SIGKILL');
      await exited;
    }
    const store = await openEmbeddedStore({ dataDir: dir });
    try {
      expect(readFileSync(join(dir, 'LOCK'), 'utf8')).toMatch(new RegExp(`^${process.pid} `));
    } finally {
      await store.close();
    }
  });
});
