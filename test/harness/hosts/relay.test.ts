import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, get, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, type StartedProcess, startProcess } from '../process.js';
import { startUnixRelay, type UnixRelay } from './unix-relay.js';

// The two halves that carry an instance's traffic to the emulator (netns-relay.mjs in the
// instance's namespace, a unix socket, startUnixRelay on the runner), here both on loopback: a
// large body arrives whole, also to a slow reader, and parallel requests do not mix (the boot
// script's 50 MB runtime download and the SDK's parallel calls go this way).
const body = randomBytes(24 * 1024 * 1024);
const digest = (b: Buffer) => createHash('sha256').update(b).digest('hex');
let dir: string;
let server: Server;
let relay: UnixRelay;
let inner: StartedProcess;
let url: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tugboat-relay-test-'));
  server = createServer((req, res) => {
    if (req.url === '/big') {
      res.writeHead(200, { 'content-length': body.length });
      res.end(body);
      return;
    }
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(`echo ${req.url}`);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as AddressInfo).port;
  relay = await startUnixRelay(join(dir, 'aws.sock'), '127.0.0.1', port);
  const listen = await freePort();
  const ready = join(dir, 'ready');
  const script = fileURLToPath(new URL('./netns-relay.mjs', import.meta.url));
  inner = await startProcess(process.execPath, [script, ready, `127.0.0.1:${listen}=${relay.path}`], {
    ready: async () => existsSync(ready),
  });
  url = `http://127.0.0.1:${listen}`;
});

afterAll(async () => {
  await inner?.stop();
  await relay?.close();
  server?.closeAllConnections();
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  rmSync(dir, { recursive: true, force: true });
});

/** GET that reads its response slowly (a loaded instance), so data waits in the relays' buffers. */
function slowGet(target: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    get(target, { headers: { connection: 'close' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => {
        chunks.push(c);
        res.pause();
        setTimeout(() => res.resume(), 2);
      });
      res.on('end', () => resolve(Buffer.concat(chunks)));
      res.on('error', reject);
    }).on('error', reject);
  });
}

describe('netns relay → unix socket → runner relay', () => {
  it('carries a 24 MB response whole to a slow reader, on fresh connections', async () => {
    for (let i = 0; i < 2; i++) expect(digest(await slowGet(`${url}/big`))).toBe(digest(body));
  });

  it('keeps parallel requests apart', async () => {
    const texts = await Promise.all(
      Array.from({ length: 20 }, (_, i) => fetch(`${url}/n${i}`).then((r) => r.text())),
    );
    expect(texts).toEqual(Array.from({ length: 20 }, (_, i) => `echo /n${i}`));
  });

  it('refuses a relay target off loopback and a malformed listener', async () => {
    await expect(startUnixRelay(join(dir, 'x.sock'), '10.0.0.1', 80)).rejects.toThrow(/not on loopback/);
    const script = fileURLToPath(new URL('./netns-relay.mjs', import.meta.url));
    await expect(
      startProcess(process.execPath, [script, join(dir, 'never'), 'nonsense'], { ready: async () => false }),
    ).rejects.toThrow(/is not ADDRESS:PORT=\/PATH/);
  });
});
