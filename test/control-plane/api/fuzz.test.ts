import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningControlPlane, startControlPlane } from '../../../src/control-plane/main.js';
import { RecordingEvents } from '../../../src/events.js';
import { fuzzRequests, sendFuzz, TEMPLATES } from '../../support/api-fuzz.js';

// Random and malformed requests against a real control plane with its controllers and scheduler
// running (issue #19): no 5xx, and the server is up and correct afterwards. FUZZ_COUNT=5000 for
// the full run; FUZZ_SEED replays one.
const dataDir = mkdtempSync(join(tmpdir(), `tugboat-fuzz-${process.pid}-`));
const events = new RecordingEvents();
let cp: RunningControlPlane;

beforeAll(async () => {
  cp = await startControlPlane({ dataDir, listen: '127.0.0.1:0', insecureLoopbackHttp: true, events });
});
afterAll(async () => {
  await cp?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('fuzz with controllers and scheduler running', () => {
  it('never answers 5xx to random and malformed requests and keeps serving correctly', async () => {
    const seed = Number(process.env.FUZZ_SEED ?? Date.now() % 1_000_000);
    const count = Number(process.env.FUZZ_COUNT ?? 1200);
    const next = fuzzRequests(seed);
    const statuses = new Map<number, number>();
    for (let i = 0; i < count; i++) {
      const req = next();
      const res = await sendFuzz(cp.url, req);
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      const where = `seed ${seed}, request ${i}: ${req.method} ${req.path} (${req.contentType}) ${JSON.stringify(events.events.filter((e) => e.level === 'error').at(-1))}`;
      expect(res.status, where).toBeLessThan(500);
      if (req.method !== 'HEAD' && res.status !== 404)
        expect(() => JSON.parse(res.text), `${where} body ${res.text.slice(0, 200)}`).not.toThrow();
    }
    // The mix must really exercise both paths: some requests accepted, many rejected.
    const ok = [...statuses].filter(([s]) => s < 300).reduce((n, [, c]) => n + c, 0);
    expect(ok).toBeGreaterThan(count / 20);
    expect(count - ok).toBeGreaterThan(count / 5);
    expect(events.events.filter((e) => e.code === 'api.error')).toEqual([]);

    const get = (path: string) => fetch(`${cp.url}${path}`);
    expect((await get('/readyz')).status).toBe(200);
    for (const t of TEMPLATES) expect((await get(t.path)).status).toBe(200);
    // A watch, a create it sees, and a get round trip.
    const watch = await get('/api/v1/namespaces/default/configmaps?watch=true&timeoutSeconds=10');
    const reader = watch.body!.getReader();
    const fresh = await fetch(`${cp.url}/api/v1/namespaces/default/configmaps`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ metadata: { name: 'after-fuzz' }, data: { k: 'v' } }),
    });
    expect(fresh.status).toBe(201);
    let seen = '';
    for (let i = 0; i < 200 && !seen.includes('"after-fuzz"'); i++)
      seen += new TextDecoder().decode((await reader.read()).value);
    expect(seen).toContain('"after-fuzz"');
    await reader.cancel();
    const back = (await (await get('/api/v1/namespaces/default/configmaps/after-fuzz')).json()) as {
      data: Record<string, string>;
    };
    expect(back.data).toEqual({ k: 'v' });
  });
});
