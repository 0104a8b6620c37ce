import net from 'node:net';
import tls from 'node:tls';
import { describe, expect, it } from 'vitest';
import { EXT_SIGNATURE_ALGORITHMS, readClientHello } from '../../src/net/client-hello.js';

// What busybox 1.35's own TLS (`wget` with no openssl on PATH) sent to 127.0.0.1: TLS 1.2, eight
// cipher suites, server_name and supported_groups (P-256, X25519), no signature_algorithms.
const BUSYBOX_HELLO = Buffer.from(
  '1603030059010000550303885dd27915cb11d151b43d06f59fc700d1607f864735f5ecd8e2ba0a7a5a910c00001000ffc023c027c02bc02f003c003d009c0100001c0000000e000c0000093132372e302e302e31000a000600040017001d',
  'hex',
);

/** The first bytes a Node.js TLS client sends. */
async function nodeHello(): Promise<Buffer> {
  const server = net.createServer();
  const first = new Promise<Buffer>((resolve) =>
    server.once('connection', (socket) => socket.once('data', (d: Buffer) => resolve(d))),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  const client = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false });
  client.on('error', () => {});
  try {
    return await first;
  } finally {
    client.destroy();
    server.close();
  }
}

describe('readClientHello', () => {
  it('reads busybox: TLS 1.2 without signature_algorithms', () => {
    const read = readClientHello(BUSYBOX_HELLO);
    expect(read).toEqual({
      kind: 'hello',
      hello: { version: 0x0303, extensions: [0, 10], signatureAlgorithms: false },
    });
  });

  it('reads a Node.js client: signature_algorithms and supported_versions present', async () => {
    const read = readClientHello(await nodeHello());
    expect(read.kind).toBe('hello');
    if (read.kind !== 'hello') return;
    expect(read.hello.signatureAlgorithms).toBe(true);
    expect(read.hello.extensions).toContain(EXT_SIGNATURE_ALGORITHMS);
    expect(read.hello.extensions).toContain(43);
  });

  it('asks for the rest of a record that arrived in pieces', () => {
    expect(readClientHello(Buffer.alloc(0))).toEqual({ kind: 'incomplete', needBytes: 5 });
    expect(readClientHello(BUSYBOX_HELLO.subarray(0, 3))).toEqual({ kind: 'incomplete', needBytes: 5 });
    expect(readClientHello(BUSYBOX_HELLO.subarray(0, 40))).toEqual({
      kind: 'incomplete',
      needBytes: BUSYBOX_HELLO.length,
    });
  });

  it('a hello with no extensions at all has no signature_algorithms', () => {
    // version, random, empty session id, one suite, one compression method: 2 + 32 + 1 + 4 + 2 bytes.
    const body = Buffer.concat([
      Buffer.from([3, 3]),
      Buffer.alloc(32),
      Buffer.from([0, 0, 2, 0xc0, 0x2b, 1, 0]),
    ]);
    const hs = Buffer.concat([Buffer.from([1, 0, 0, body.length]), body]);
    const rec = Buffer.concat([Buffer.from([0x16, 3, 1, 0, hs.length]), hs]);
    expect(readClientHello(rec)).toEqual({
      kind: 'hello',
      hello: { version: 0x0303, extensions: [], signatureAlgorithms: false },
    });
  });

  it.each([
    ['plain HTTP', Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n')],
    ['an SSLv2-style hello', Buffer.from([0x80, 0x2e, 0x01, 0x03, 0x01])],
    ['a handshake that is not a ClientHello', Buffer.from([0x16, 3, 3, 0, 4, 2, 0, 0, 0])],
    ['a record longer than TLS allows', Buffer.from([0x16, 3, 3, 0xff, 0xff])],
    [
      'a session id running past the end',
      Buffer.concat([
        Buffer.from([0x16, 3, 3, 0, 39, 1, 0, 0, 35, 3, 3]),
        Buffer.alloc(32),
        Buffer.from([200]),
      ]),
    ],
    [
      'an extension running past the list',
      Buffer.concat([
        Buffer.from([0x16, 3, 3, 0, 49, 1, 0, 0, 45, 3, 3]),
        Buffer.alloc(32),
        Buffer.from([0, 0, 2, 0xc0, 0x2b, 1, 0, 0, 4, 0, 13, 0, 9]),
      ]),
    ],
  ])('%s is not a ClientHello it can use', (_name, bytes) => {
    expect(readClientHello(bytes)).toEqual({ kind: 'not-tls' });
  });

  it('a ClientHello longer than its record is fragmented (modern clients only)', () => {
    const rec = Buffer.concat([Buffer.from([0x16, 3, 1, 0, 40, 1, 0, 0x10, 0]), Buffer.alloc(36)]);
    expect(readClientHello(rec)).toEqual({ kind: 'fragmented' });
  });
});
