import zlib from 'node:zlib';
import { expect, it } from 'vitest';
import { SPDY3_DICTIONARY } from '../../../src/agent/server/spdy-dictionary.js';
import { SpdySession, type SpdyStream } from '../../../src/agent/server/spdy-session.js';
import { waitFor } from '../../support/wait.js';

function control(type: number, flags: number, payload: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt16BE(0x8003, 0);
  head.writeUInt16BE(type, 2);
  head.writeUInt32BE((flags << 24) | payload.length, 4);
  return Buffer.concat([head, payload]);
}

function headerBlock(pairs: [string, string][]): Buffer {
  const parts = [Buffer.alloc(4)];
  parts[0]!.writeUInt32BE(pairs.length);
  for (const [k, v] of pairs)
    for (const s of [k, v]) {
      const len = Buffer.alloc(4);
      len.writeUInt32BE(Buffer.byteLength(s));
      parts.push(len, Buffer.from(s));
    }
  return zlib.deflateSync(Buffer.concat(parts), { dictionary: SPDY3_DICTIONARY });
}

function synStream(id: number, block: Buffer): Buffer {
  const fixed = Buffer.alloc(10);
  fixed.writeUInt32BE(id, 0);
  return control(1, 0, Buffer.concat([fixed, block]));
}

function harness() {
  const out: Buffer[] = [];
  const streams: SpdyStream[] = [];
  const errors: Error[] = [];
  const session = new SpdySession(
    (b) => out.push(b),
    (s) => streams.push(s),
    (e) => errors.push(e),
  );
  return { session, out, streams, errors };
}

it('reads a SYN_STREAM split across chunks, answers SYN_REPLY and passes DATA on', async () => {
  const h = harness();
  const frame = synStream(
    1,
    headerBlock([
      ['streamtype', 'data'],
      ['port', '80'],
      ['requestid', '0'],
    ]),
  );
  for (const b of frame) h.session.push(Buffer.from([b]));
  const [stream] = await waitFor(async () => h.streams.length === 1 && h.streams, 'a stream');
  expect(Object.fromEntries(stream!.headers)).toEqual({ streamtype: 'data', port: '80', requestid: '0' });
  expect(h.out[0]!.readUInt16BE(2)).toBe(2); // SYN_REPLY
  expect(h.out[0]!.readUInt32BE(8)).toBe(1);
  const got: string[] = [];
  stream!.onData = (d) => got.push(d.toString());
  const data = Buffer.concat([Buffer.from([0, 0, 0, 1, 1, 0, 0, 2]), Buffer.from('hi')]);
  h.session.push(data);
  await waitFor(async () => got.length === 1, 'data');
  expect(got).toEqual(['hi']);
  h.session.close();
});

it('echoes a PING', async () => {
  const h = harness();
  h.session.push(control(6, 0, Buffer.from([0, 0, 0, 7])));
  await waitFor(async () => h.out.length === 1, 'a pong');
  expect(h.out[0]).toEqual(control(6, 0, Buffer.from([0, 0, 0, 7])));
  h.session.close();
});

it('ends the session, without throwing, on a corrupt header block or an oversized frame', async () => {
  const bad = harness();
  bad.session.push(synStream(1, Buffer.from('not zlib at all')));
  await waitFor(async () => bad.errors.length === 1, 'an error');
  expect(bad.streams).toEqual([]);
  bad.session.push(control(6, 0, Buffer.from([0, 0, 0, 1])));
  expect(bad.out).toEqual([]);

  const big = harness();
  const head = control(0, 0, Buffer.alloc(0));
  head.writeUInt32BE(0x00ffffff, 4);
  big.session.push(head);
  expect(big.errors[0]?.message).toContain('too large');
});
