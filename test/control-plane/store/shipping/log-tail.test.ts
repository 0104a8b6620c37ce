import { readdirSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { openEmbeddedStore } from '../../../../src/control-plane/store/embedded/embedded-store.js';
import {
  FILE_HEADER,
  frameAt,
  framingOf,
  readFileHeader,
  WAL_MAGIC,
} from '../../../../src/control-plane/store/embedded/frame.js';
import { decodePayload, RecordType } from '../../../../src/control-plane/store/embedded/record.js';
import { readLogChunk } from '../../../../src/control-plane/store/shipping/log-tail.js';
import { scratch, until } from './helpers.js';

const enc = (s: string) => new TextEncoder().encode(s);

/** The records of a shipped chunk, and the seed its header names. */
function records(body: Buffer): { seed: number; types: RecordType[]; revisions: number[]; lastCrc: number } {
  const header = readFileHeader(body.subarray(0, FILE_HEADER), body.length, WAL_MAGIC);
  if (header.kind !== 'v2') throw new Error('chunk without a format-2 header');
  const types: RecordType[] = [];
  const revisions: number[] = [];
  let o = FILE_HEADER;
  let chain = header.seed;
  while (o < body.length) {
    const f = frameAt(framingOf('v2'), body, o);
    if (typeof f === 'string') throw new Error(`bad frame at ${o}`);
    expect(f.prev).toBe(chain);
    chain = f.crc;
    const r = decodePayload(f.payload)!;
    types.push(r.type);
    revisions.push(r.revision);
    o = f.end;
  }
  return { seed: header.seed, types, revisions, lastCrc: chain };
}

describe('readLogChunk', () => {
  const tmp = scratch();
  afterAll(() => tmp.cleanup());

  it('ships only acknowledged writes, holds a trailing compaction and carries it across a rotation', async () => {
    const dir = tmp.dir('tail');
    const store = await openEmbeddedStore({ dataDir: dir, segmentRecords: 5, compactIntervalMs: 0 });
    for (let i = 0; i < 4; i++) await store.create(`/k/${i}`, enc('v')); // revisions 2-5
    await store.compact(4); // the 5th record of the segment: the store rotates after it
    // The rotation follows the acknowledgement.
    await until(
      () => readdirSync(dir).filter((f) => f.startsWith('wal-')).length === 2,
      5_000,
      'the rotation',
    );

    // Nothing beyond the acknowledged revision is shipped.
    const partial = await readLogChunk(dir, { segment: 2, offset: 0, chain: 0 }, 3, 1 << 20);
    expect(partial).toMatchObject({ first: 2, last: 3 });
    const first = await readLogChunk(dir, partial!.next, 5, 1 << 20);
    expect(first).toMatchObject({ first: 4, last: 5 });
    const one = records(first!.body);
    expect(one.types).toEqual([RecordType.Put, RecordType.Put]);
    expect(one.seed).toBe(records(partial!.body).lastCrc);
    // Only the compaction record is left: nothing to ship until a write follows it.
    expect(await readLogChunk(dir, first!.next, 5, 1 << 20)).toBeUndefined();

    await store.create('/k/after', enc('v')); // revision 6, in the new segment
    const second = await readLogChunk(dir, first!.next, 6, 1 << 20);
    expect(second).toMatchObject({ first: 6, last: 6, next: { segment: 6 } });
    const two = records(second!.body);
    expect(two.types).toEqual([RecordType.Compact, RecordType.Put]);
    expect(two.revisions).toEqual([4, 6]);
    expect(two.seed).toBe(one.lastCrc);
    await store.close();
  });
});
