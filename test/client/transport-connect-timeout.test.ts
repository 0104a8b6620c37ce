import { type ChildProcess, spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Transport } from '../../src/client/transport.js';

// A server whose SYNs go unanswered, as an Elastic IP between two masters drops them: a socket
// that listens with a backlog of 0 and never accepts, its one queue slot taken by a connection of
// its own, so the kernel drops every further SYN (python: Node always accepts).
const BLACK_HOLE = `
import socket, sys
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(0)
filler = socket.create_connection(s.getsockname())
print(s.getsockname()[1], flush=True)
sys.stdin.read()
`;

let hole: ChildProcess;
let holeUrl: string;
let good: Server;
let goodUrl: string;

beforeAll(async () => {
  hole = spawn('python3', ['-c', BLACK_HOLE], { stdio: ['pipe', 'pipe', 'inherit'] });
  const port = await new Promise<string>((resolve, reject) => {
    hole.stdout?.once('data', (b: Buffer) => resolve(b.toString().trim()));
    hole.once('exit', (code) => reject(new Error(`black-hole server exited ${code}`)));
  });
  holeUrl = `http://127.0.0.1:${port}`;
  good = createServer((_req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end('{"kind":"Status","status":"Success"}');
  });
  await new Promise<void>((r) => good.listen(0, '127.0.0.1', r));
  goodUrl = `http://127.0.0.1:${(good.address() as AddressInfo).port}`;
});

afterAll(async () => {
  hole?.stdin?.end();
  hole?.kill();
  await new Promise<void>((r) => (good ? good.close(() => r()) : r()));
});

describe('Transport connectTimeoutMs', () => {
  it('fails a request whose connection does not open, with ETIMEDOUT and the address', async () => {
    const t = new Transport({ server: holeUrl, allowInsecureLoopback: true, connectTimeoutMs: 300 });
    const err = await t.json({ method: 'GET', path: '/version' }).catch((e: NodeJS.ErrnoException) => e);
    t.close();
    expect(err).toBeInstanceOf(Error);
    expect((err as NodeJS.ErrnoException).code).toBe('ETIMEDOUT');
    expect((err as Error).message).toBe(`connecting to ${new URL(holeUrl).host} timed out after 300 ms`);
  });

  it('fails a stream (a watch has no request timeout) the same way', async () => {
    const t = new Transport({ server: holeUrl, allowInsecureLoopback: true, connectTimeoutMs: 300 });
    const err = await t
      .stream({ method: 'GET', path: '/api/v1/pods?watch=true' })
      .catch((e: NodeJS.ErrnoException) => e);
    t.close();
    expect((err as NodeJS.ErrnoException).code).toBe('ETIMEDOUT');
  });

  it('moves on to the next server, which answers', async () => {
    const t = new Transport({
      server: holeUrl,
      failoverServers: [goodUrl],
      allowInsecureLoopback: true,
      connectTimeoutMs: 300,
    });
    await expect(t.json({ method: 'GET', path: '/version' })).resolves.toEqual({
      kind: 'Status',
      status: 'Success',
    });
    expect(t.server).toBe(`${goodUrl}/`);
    t.close();
  });

  it('leaves an open connection alone: a slow answer is the request timeout’s to judge', async () => {
    const slow = createServer((_req, res) => {
      setTimeout(() => res.end('{}'), 600);
    });
    await new Promise<void>((r) => slow.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(slow.address() as AddressInfo).port}`;
    const t = new Transport({ server: url, allowInsecureLoopback: true, connectTimeoutMs: 200 });
    await expect(t.json({ method: 'GET', path: '/version' })).resolves.toEqual({});
    t.close();
    await new Promise<void>((r) => slow.close(() => r()));
  });
});
