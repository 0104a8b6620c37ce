import { mkdtempSync, rmSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { afterAll, beforeAll, expect, it } from 'vitest';
import WebSocket from 'ws';
import { ProcessRuntime } from '../../../src/agent/runtime/process-runtime.js';
import { type AgentServer, buildAgentServer } from '../../../src/agent/server/agent-server.js';
import { renderExecStatus } from '../../../src/agent/server/exec-stream.js';
import { makeTestPki, type TestPki } from '../../support/certs.js';
import { shellLaunch } from '../../support/shell-launch.js';

let pki: TestPki;
let runtime: ProcessRuntime;
let server: AgentServer;
let port: number;
let dir: string;

function startContainer(pod: string, name: string, script: string) {
  return runtime.start(shellLaunch(pod, script, name));
}

beforeAll(async () => {
  pki = makeTestPki();
  dir = mkdtempSync(join(tmpdir(), `tugboat-agentsrv-${process.pid}-`));
  runtime = new ProcessRuntime({ dataDir: dir });
  server = buildAgentServer({
    runtime,
    tls: { cert: pki.server.cert, key: pki.server.key, clientCa: pki.ca.cert },
    // Short limits, so the connection tests below see them act (issue #19, finding 7).
    connections: {
      handshakeTimeoutMs: 500,
      headersTimeoutMs: 500,
      requestTimeoutMs: 800,
      keepAliveTimeoutMs: 500,
    },
  });
  await new Promise<void>((r) => server.server.listen(0, '127.0.0.1', r));
  port = (server.server.address() as AddressInfo).port;
  const c = await startContainer('p', 'c', 'echo one; echo two; echo three; sleep 600');
  for (let i = 0; i < 50 && !(await runtime.logs(c.id, {})).read(); i++)
    await new Promise((r) => setTimeout(r, 100));
});
afterAll(async () => {
  await server?.close();
  await runtime?.close();
  rmSync(dir, { recursive: true, force: true });
  rmSync(pki.dir, { recursive: true, force: true });
});

function get(path: string, cn: string | undefined): Promise<{ status: number; body: string }> {
  const cert = cn ? pki.client(cn, []) : undefined;
  return new Promise((resolve, reject) => {
    https
      .get({ host: '127.0.0.1', port, path, ca: pki.ca.cert, ...(cert ?? {}) }, (res) => {
        let body = '';
        res.on('data', (c) => {
          body += c;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .on('error', reject);
  });
}

it('serves container logs with tailLines to the API server certificate only', async () => {
  expect(await get('/containerLogs/default/p/c', 'tugboat-apiserver')).toEqual({
    status: 200,
    body: 'one\ntwo\nthree\n',
  });
  expect((await get('/containerLogs/default/p/c?tailLines=1', 'tugboat-apiserver')).body).toBe('three\n');
  const other = await get('/containerLogs/default/p/c', 'node:evil');
  expect(other.status).toBe(403);
  expect(other.body).toContain('"node:evil"');
  await expect(get('/containerLogs/default/p/c', undefined)).rejects.toThrow();
});

it('says which container is missing', async () => {
  const r = await get('/containerLogs/default/p/c?previous=true', 'tugboat-apiserver');
  expect(r).toMatchObject({
    status: 400,
    body: expect.stringContaining('previous terminated container "c" in pod "p" not found'),
  });
  expect((await get('/containerLogs/default/nope/c', 'tugboat-apiserver')).status).toBe(400);
});

it('runs exec over v5.channel.k8s.io with the exit status on channel 3', async () => {
  const cert = pki.client('tugboat-apiserver', []);
  const ws = new WebSocket(
    `wss://127.0.0.1:${port}/exec/default/p/c?command=sh&command=-c&command=cat;exit 4&stdin=true&stdout=true`,
    ['v5.channel.k8s.io'],
    {
      ca: pki.ca.cert,
      ...cert,
    },
  );
  const frames: Buffer[] = [];
  ws.on('message', (m: Buffer) => frames.push(m));
  await new Promise((r) => ws.once('open', r));
  expect(ws.protocol).toBe('v5.channel.k8s.io');
  ws.send(Buffer.concat([Buffer.from([0]), Buffer.from('hello\n')]));
  ws.send(Buffer.from([255, 0]));
  await new Promise((r) => ws.once('close', r));
  const stdout = frames
    .filter((f) => f[0] === 1)
    .map((f) => f.subarray(1).toString())
    .join('');
  const status = frames
    .find((f) => f[0] === 3)
    ?.subarray(1)
    .toString();
  expect(stdout).toBe('hello\n');
  expect(status).toBe(renderExecStatus(4, ['sh', '-c', 'cat;exit 4']));
  expect(JSON.parse(status ?? '{}').details.causes[0]).toEqual({ reason: 'ExitCode', message: '4' });
});

function closed(socket: net.Socket, maxMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), maxMs);
    socket.on('error', () => {});
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

function connect(): Promise<tls.TLSSocket> {
  const cert = pki.client('tugboat-apiserver', []);
  return new Promise((resolve, reject) => {
    const s = tls.connect({ host: '127.0.0.1', port, ca: pki.ca.cert, ...cert, servername: 'localhost' });
    s.once('secureConnect', () => resolve(s));
    s.once('error', reject);
  });
}

it('cuts a connection that never handshakes and one that never sends a request', async () => {
  const raw = net.connect(port, '127.0.0.1');
  const idle = await connect();
  const [rawClosed, idleClosed] = await Promise.all([closed(raw, 5_000), closed(idle, 5_000)]);
  expect(rawClosed).toBe(true);
  expect(idleClosed).toBe(true);
});

it('keeps a followed log stream open past every timeout', async () => {
  await startContainer(
    'ticker',
    't',
    'i=0; while [ $i -lt 600 ]; do echo tick $i; i=$((i+1)); sleep 0.2; done',
  );
  const s = await connect();
  let text = '';
  s.on('data', (d: Buffer) => {
    text += d.toString();
  });
  s.write('GET /containerLogs/default/ticker/t?follow=true HTTP/1.1\r\nHost: x\r\n\r\n');
  const gone = await closed(s, 2_000);
  expect(gone).toBe(false);
  expect(text).toMatch(/^HTTP\/1\.1 200/);
  const ticks = text.match(/tick \d+/g) ?? [];
  expect(ticks.length).toBeGreaterThan(6);
  s.destroy();
});
