import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningApiServer, startApiServer } from '../../support/api-server.js';
import { WatchReader } from '../../support/watch-reader.js';

let srv: RunningApiServer;
const base = () => `${srv.url}/api/v1/namespaces/default/configmaps`;

async function post(name: string, labels: Record<string, string> = {}): Promise<string> {
  const res = await fetch(base(), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ metadata: { name, labels }, data: { v: '1' } }),
  });
  expect(res.status).toBe(201);
  return ((await res.json()) as { metadata: { resourceVersion: string } }).metadata.resourceVersion;
}

async function patch(name: string, body: unknown): Promise<string> {
  const res = await fetch(`${base()}/${name}`, {
    method: 'PATCH',
    headers: { 'content-type': 'application/merge-patch+json' },
    body: JSON.stringify(body),
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { metadata: { resourceVersion: string } }).metadata.resourceVersion;
}

beforeAll(async () => {
  srv = await startApiServer({ bookmarkIntervalMs: 200 });
});
afterAll(async () => {
  await srv?.stop();
});

describe('watch', () => {
  it('starts with ADDED events for resourceVersion 0, then streams changes as JSON lines', async () => {
    await post('w-a');
    const w = await WatchReader.open(`${base()}?watch=true&resourceVersion=0`);
    try {
      const first = await w.next();
      expect(first?.type).toBe('ADDED');
      expect(first?.object.metadata?.name).toBe('w-a');
      await patch('w-a', { data: { v: '2' } });
      const modified = await w.next();
      expect(modified?.type).toBe('MODIFIED');
      const del = await fetch(`${base()}/w-a`, { method: 'DELETE' });
      expect(del.status).toBe(200);
      const deleted = await w.next();
      expect(deleted?.type).toBe('DELETED');
      expect(Number(deleted?.object.metadata?.resourceVersion)).toBeGreaterThan(
        Number(modified?.object.metadata?.resourceVersion),
      );
      expect(w.lines.every((l) => l.startsWith('{') && l.endsWith('}'))).toBe(true);
    } finally {
      w.close();
    }
  });

  it('delivers only events strictly after the given resourceVersion', async () => {
    const rv = await post('w-b');
    const w = await WatchReader.open(`${base()}?watch=1&resourceVersion=${rv}`);
    try {
      const rv2 = await patch('w-b', { data: { v: '3' } });
      const ev = await w.next();
      expect(ev?.type).toBe('MODIFIED');
      expect(ev?.object.metadata?.resourceVersion).toBe(rv2);
    } finally {
      w.close();
    }
  });

  it('turns label changes into ADDED/DELETED for a selector watch', async () => {
    const rv = await post('w-c', { team: 'a' });
    const w = await WatchReader.open(`${base()}?watch=true&labelSelector=team%3Db&resourceVersion=${rv}`);
    try {
      await patch('w-c', { metadata: { labels: { team: 'b' } } });
      expect((await w.next())?.type).toBe('ADDED');
      await patch('w-c', { metadata: { labels: { team: 'c' } } });
      expect((await w.next())?.type).toBe('DELETED');
    } finally {
      w.close();
    }
  });

  it('sends BOOKMARK events when allowed and ends after timeoutSeconds', async () => {
    const w = await WatchReader.open(
      `${base()}?watch=true&resourceVersion=1&allowWatchBookmarks=true&timeoutSeconds=2`,
    );
    const types: string[] = [];
    for (let i = 0; i < 100 && !w.done; i++) {
      const ev = await w.next(5_000);
      if (ev) types.push(ev.type);
    }
    expect(types).toContain('BOOKMARK');
    expect(w.done).toBe(true);
  });

  it('answers ERROR 410 Expired when the resourceVersion was compacted', async () => {
    const old = await post('w-d');
    await patch('w-d', { data: { v: '9' } });
    await post('w-e');
    await srv.store.compact(await srv.store.currentRevision());
    const w = await WatchReader.open(`${base()}?watch=true&resourceVersion=${Number(old) - 1}`);
    const ev = await w.next();
    expect(ev?.type).toBe('ERROR');
    expect(ev?.object).toMatchObject({ kind: 'Status', code: 410, reason: 'Expired' });
    w.close();
  });

  it('waits for a future resourceVersion instead of failing', async () => {
    const current = await srv.store.currentRevision();
    const w = await WatchReader.open(`${base()}?watch=true&resourceVersion=${current + 1}`);
    try {
      await post('w-f1');
      const second = await post('w-f2');
      const ev = await w.next();
      expect(ev?.object.metadata?.resourceVersion).toBe(second);
    } finally {
      w.close();
    }
  });
});

describe('graceful shutdown', () => {
  it('ends open watches, refuses new connections and lets an in-flight request finish', async () => {
    const own = await startApiServer();
    const w = await WatchReader.open(`${own.url}/api/v1/namespaces/default/configmaps?watch=true`);
    // A create whose body is still arriving when shutdown starts.
    const body = JSON.stringify({ metadata: { name: 'in-flight' } });
    const answer = new Promise<number>((resolve, reject) => {
      const req = request(
        `${own.url}/api/v1/namespaces/default/configmaps`,
        {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'content-length': String(body.length) },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.write(body.slice(0, 5));
      setTimeout(() => req.end(body.slice(5)), 300);
    });
    await new Promise((r) => setTimeout(r, 100));
    const stopping = own.stop();
    for (let i = 0; i < 50 && !w.done; i++) await w.next(200);
    expect(w.done).toBe(true);
    expect(await answer).toBe(201);
    await stopping;
    await expect(fetch(`${own.url}/healthz`)).rejects.toThrow();
  });
});
