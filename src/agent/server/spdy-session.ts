import zlib from 'node:zlib';
import { SPDY3_DICTIONARY } from './spdy-dictionary.js';

const SYN_STREAM = 1;
const SYN_REPLY = 2;
const RST_STREAM = 3;
const PING = 6;
const GOAWAY = 7;
const HEADERS = 8;
const FLAG_FIN = 0x01;
/** Largest frame payload accepted; kubectl's frames are far smaller. */
const MAX_FRAME = 1 << 20;
/** Largest inflated header block accepted (a bound against decompression bombs). */
const MAX_HEADERS = 64 * 1024;

/** One SPDY stream the peer opened: its headers, and callbacks for its data and end. */
export interface SpdyStream {
  readonly id: number;
  readonly headers: ReadonlyMap<string, string>;
  /** Called with each DATA payload; `end` once the peer half-closes (FIN) or resets the stream. */
  onData?: (data: Buffer) => void;
  onEnd?: () => void;
}

/**
 * The server half of a SPDY/3.1 session (the framing `kubectl port-forward` speaks, directly or
 * tunnelled in WebSocket binary messages): parses frames from `push`ed bytes in any chunking,
 * answers every SYN_STREAM with a SYN_REPLY, echoes PINGs, and writes DATA frames for `send`/`end`.
 * Flow control is not enforced, as Kubernetes' spdystream does not enforce it either.
 */
export class SpdySession {
  private buffer: Buffer = Buffer.alloc(0);
  private readonly inflate = zlib.createInflate({ dictionary: SPDY3_DICTIONARY });
  private readonly deflate = zlib.createDeflate({ dictionary: SPDY3_DICTIONARY });
  private readonly streams = new Map<number, SpdyStream>();
  /** Frames are handled one at a time: header blocks share one zlib context per direction. */
  private queue: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(
    private readonly write: (bytes: Buffer) => void,
    private readonly onStream: (stream: SpdyStream) => void,
    private readonly onError: (err: Error) => void,
  ) {}

  /** Feeds bytes received from the peer. */
  push(chunk: Buffer): void {
    if (this.closed) return;
    this.buffer = this.buffer.length ? Buffer.concat([this.buffer, chunk]) : chunk;
    while (this.buffer.length >= 8) {
      const length = this.buffer.readUInt32BE(4) & 0xffffff;
      if (length > MAX_FRAME) {
        this.fail(new Error(`SPDY frame of ${length} bytes is too large`));
        return;
      }
      if (this.buffer.length < 8 + length) break;
      const frame = this.buffer.subarray(0, 8 + length);
      this.buffer = this.buffer.subarray(8 + length);
      this.queue = this.queue.then(() => this.handle(frame)).catch((err: Error) => this.fail(err));
    }
  }

  /** Writes `data` on stream `id`. */
  send(id: number, data: Buffer): void {
    for (let off = 0; off < data.length || off === 0; off += 0xffff) {
      this.dataFrame(id, 0, data.subarray(off, off + 0xffff));
      if (data.length === 0) break;
    }
  }

  /** Half-closes stream `id` from our side (an empty DATA frame with FIN). */
  end(id: number): void {
    this.dataFrame(id, FLAG_FIN, Buffer.alloc(0));
  }

  /** Ends the session: every open stream sees its end. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const s of this.streams.values()) s.onEnd?.();
    this.streams.clear();
    this.inflate.close();
    this.deflate.close();
  }

  private fail(err: Error): void {
    if (this.closed) return;
    this.onError(err);
    this.close();
  }

  private dataFrame(id: number, flags: number, payload: Buffer): void {
    if (this.closed) return;
    const head = Buffer.alloc(8);
    head.writeUInt32BE(id & 0x7fffffff, 0);
    head.writeUInt32BE(((flags & 0xff) << 24) | payload.length, 4);
    this.write(Buffer.concat([head, payload]));
  }

  private control(type: number, flags: number, payload: Buffer): void {
    if (this.closed) return;
    const head = Buffer.alloc(8);
    head.writeUInt16BE(0x8003, 0);
    head.writeUInt16BE(type, 2);
    head.writeUInt32BE(((flags & 0xff) << 24) | payload.length, 4);
    this.write(Buffer.concat([head, payload]));
  }

  private async handle(frame: Buffer): Promise<void> {
    if (this.closed) return;
    const flags = frame[4]!;
    const payload = frame.subarray(8);
    if ((frame[0]! & 0x80) === 0) {
      const stream = this.streams.get(frame.readUInt32BE(0) & 0x7fffffff);
      if (!stream) return;
      if (payload.length) stream.onData?.(payload);
      if (flags & FLAG_FIN) stream.onEnd?.();
      return;
    }
    const type = frame.readUInt16BE(2);
    if (type === SYN_STREAM || type === HEADERS) {
      const offset = type === SYN_STREAM ? 10 : 4;
      if (payload.length < offset) throw new Error('short SPDY frame');
      const headers = await this.readHeaders(payload.subarray(offset));
      if (type === HEADERS) return;
      const id = payload.readUInt32BE(0) & 0x7fffffff;
      const stream: SpdyStream = { id, headers };
      this.streams.set(id, stream);
      const idBuf = Buffer.alloc(4);
      idBuf.writeUInt32BE(id);
      this.control(SYN_REPLY, 0, Buffer.concat([idBuf, await this.writeHeaders()]));
      this.onStream(stream);
      if (flags & FLAG_FIN) stream.onEnd?.();
    } else if (type === RST_STREAM && payload.length >= 4) {
      const id = payload.readUInt32BE(0) & 0x7fffffff;
      this.streams.get(id)?.onEnd?.();
      this.streams.delete(id);
    } else if (type === PING) {
      this.control(PING, 0, payload);
    } else if (type === GOAWAY) {
      this.close();
    }
    // SETTINGS and WINDOW_UPDATE need no answer.
  }

  private zlibRun(z: zlib.Inflate | zlib.Deflate, input: Buffer, limit: number): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const out: Buffer[] = [];
      let size = 0;
      const onData = (c: Buffer) => {
        size += c.length;
        out.push(c);
      };
      const onError = (err: Error) => {
        z.off('data', onData);
        reject(err);
      };
      z.on('data', onData);
      z.once('error', onError);
      z.write(input);
      z.flush(zlib.constants.Z_SYNC_FLUSH, () => {
        z.off('data', onData);
        z.off('error', onError);
        if (size > limit) reject(new Error('SPDY header block too large'));
        else resolve(Buffer.concat(out));
      });
    });
  }

  private async readHeaders(block: Buffer): Promise<Map<string, string>> {
    const raw = await this.zlibRun(this.inflate, block, MAX_HEADERS);
    const headers = new Map<string, string>();
    let off = 0;
    const take = () => {
      if (off + 4 > raw.length) throw new Error('truncated SPDY header block');
      const len = raw.readUInt32BE(off);
      off += 4;
      if (off + len > raw.length) throw new Error('truncated SPDY header block');
      const s = raw.subarray(off, off + len).toString('utf8');
      off += len;
      return s;
    };
    if (raw.length < 4) throw new Error('truncated SPDY header block');
    const count = raw.readUInt32BE(0);
    off = 4;
    for (let i = 0; i < count; i++) {
      const name = take().toLowerCase();
      headers.set(name, take());
    }
    return headers;
  }

  /** An empty header block (zero pairs), compressed in the session's outgoing zlib context. */
  private writeHeaders(): Promise<Buffer> {
    return this.zlibRun(this.deflate, Buffer.alloc(4), Number.POSITIVE_INFINITY);
  }
}
