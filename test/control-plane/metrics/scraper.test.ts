import type { AddressInfo } from 'node:net';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSummary } from '../../../src/control-plane/api/metrics-scraper.js';
import { RecordingEvents } from '../../../src/events.js';
import { type RunningApiServer, startApiServer } from '../../support/api-server.js';

const cpu = (n: unknown) => ({ time: '2026-01-01T00:00:00Z', usageNanoCores: n, usageCoreNanoSeconds: 1 });
const mem = (n: unknown) => ({ time: '2026-01-01T00:00:00Z', usageBytes: 1, workingSetBytes: n });
const node = { nodeName: 'n', startTime: '', cpu: cpu(5), memory: mem(7) };
const pod = (name: string, containers: unknown) => ({
  podRef: { name, namespace: 'ns', uid: `u-${name}` },
  containers,
});

describe('parseSummary', () => {
  it.each([
    ['not an object', 'hello'],
    ['an array', []],
    ['no node', { pods: [] }],
    ['node without a CPU rate', { node: { ...node, cpu: { time: '' } } }],
    ['a negative working set', { node: { ...node, memory: mem(-1) } }],
    ['a CPU rate as a string', { node: { ...node, cpu: cpu('5') } }],
    ['an infinite rate', { node: { ...node, cpu: cpu(Number.POSITIVE_INFINITY) } }],
  ])('refuses a summary with %s', (_what, body) => {
    expect(parseSummary(body, 15)).toBeUndefined();
  });

  it('keeps the node and the well-formed pods, leaving out pods with a container not rated yet', () => {
    const sample = parseSummary(
      {
        node,
        pods: [
          pod('good', [
            { name: 'a', cpu: cpu(100), memory: mem(2048) },
            { name: 'b', cpu: cpu(50), memory: mem(1024) },
          ]),
          pod('first-look', [
            { name: 'a', cpu: cpu(100), memory: mem(1) },
            { name: 'b', cpu: { time: '' }, memory: mem(1) },
          ]),
          pod('no-containers', []),
          pod('containers-not-a-list', { a: 1 }),
          { podRef: { name: 7, namespace: 'ns', uid: 'x' }, containers: [] },
          'junk',
          null,
        ],
      },
      15,
    );
    expect(sample?.usage).toEqual({ nanoCores: 5, workingSetBytes: 7 });
    expect(sample?.windowSeconds).toBe(15);
    expect([...(sample?.pods.keys() ?? [])]).toEqual(['ns/good']);
    expect(sample?.pods.get('ns/good')).toMatchObject({
      uid: 'u-good',
      containers: [
        { name: 'a', usage: { nanoCores: 100, workingSetBytes: 2048 } },
        { name: 'b', usage: { nanoCores: 50, workingSetBytes: 1024 } },
      ],
    });
    expect(parseSummary({ node, pods: 'many' }, 15)?.pods.size).toBe(0);
  });
});

describe('the scraper with a node that never answers', () => {
  let hanging: net.Server;
  const sockets = new Set<net.Socket>();
  let srv: RunningApiServer;
  const events = new RecordingEvents();
  beforeAll(async () => {
    hanging = net.createServer((s) => {
      // Reads (and ignores) the request, so the client going away ends the socket here.
      s.resume();
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    });
    await new Promise<void>((r) => hanging.listen(0, '127.0.0.1', r));
    srv = await startApiServer({
      nodeProxy: { insecureHttp: true },
      // A timeout far longer than this test may take: only stopping can end the request.
      metrics: { intervalMs: 200, timeoutMs: 120_000 },
      events,
    });
    const put = (path: string, method: string, body: unknown) =>
      fetch(`${srv.url}${path}`, {
        method,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    await put('/api/v1/nodes', 'POST', { apiVersion: 'v1', kind: 'Node', metadata: { name: 'hangs' } });
    const status = {
      conditions: [{ type: 'Ready', status: 'True' }],
      addresses: [{ type: 'InternalIP', address: '127.0.0.1' }],
      daemonEndpoints: { kubeletEndpoint: { Port: (hanging.address() as AddressInfo).port } },
    };
    const current = (await (await fetch(`${srv.url}/api/v1/nodes/hangs`)).json()) as object;
    expect((await put('/api/v1/nodes/hangs/status', 'PUT', { ...current, status })).status).toBe(200);
  });
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((r) => hanging?.close(r));
  });

  it('still answers the metrics API while the scrape hangs, and stopping the server ends the scrape', async () => {
    // A scrape after the node became Ready connects to the hanging agent and waits.
    for (let i = 0; i < 100 && sockets.size === 0; i++) await new Promise((r) => setTimeout(r, 50));
    expect(sockets.size).toBeGreaterThan(0);
    const list = await (await fetch(`${srv.url}/apis/metrics.k8s.io/v1beta1/nodes`)).json();
    expect(list).toMatchObject({ kind: 'NodeMetricsList', items: [] });
    const gone = await fetch(`${srv.url}/apis/metrics.k8s.io/v1beta1/nodes/hangs`);
    expect(gone.status).toBe(404);
    const watch = await fetch(`${srv.url}/apis/metrics.k8s.io/v1beta1/nodes?watch=true`);
    expect(watch.status).toBe(405);
    await srv.stop();
    for (let i = 0; i < 100 && sockets.size > 0; i++) await new Promise((r) => setTimeout(r, 50));
    expect(sockets.size).toBe(0);
    expect(events.codes()).not.toContain('api.metrics.scrape-failed');
  }, 20_000);
});
