import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStore } from '../../../src/control-plane/store/index.js';
import type { Store } from '../../../src/control-plane/store/types.js';
import { type RunningApiServer, startApiServer } from '../../support/api-server.js';
import { jsonCaller } from '../../support/json-call.js';

const SVC = '/api/v1/namespaces/default/services';
// 10.99.0.0/26: 62 usable addresses, the first kept for the kubernetes Service, 16 in the static band.
const RANGE = '10.99.0.0/26';

let dataDir: string;
let store: Store;
let srv: RunningApiServer;

const call = jsonCaller(() => srv.url);

const service = (name: string, spec: Record<string, unknown> = {}) => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name },
  spec: { selector: { app: name }, ports: [{ port: 80 }], ...spec },
});

const lastOctet = (ip: string) => Number(ip.split('.')[3]);

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), `tugboat-netsvc3-cip-${process.pid}-`));
  store = await createStore({ kind: 'embedded', dataDir });
  srv = await startApiServer({ store, serviceClusterIpRange: RANGE });
});
afterAll(async () => {
  await srv?.stop();
  await store?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('cluster IP allocation', () => {
  it('gives a Service a free address of the range, upper band first, in clusterIP and clusterIPs', async () => {
    const a = await call('POST', SVC, service('a'));
    expect(a.status).toBe(201);
    const ip = a.body.spec.clusterIP as string;
    expect(ip).toMatch(/^10\.99\.0\.\d+$/);
    expect(lastOctet(ip)).toBeGreaterThan(16); // outside the static band .1-.16
    expect(lastOctet(ip)).toBeLessThan(63); // not the broadcast address
    expect(a.body.spec.clusterIPs).toEqual([ip]);
    expect(a.body.spec.ipFamilies).toEqual(['IPv4']);
    expect(a.body.spec.ipFamilyPolicy).toBe('SingleStack');
    const headless = await call('POST', SVC, service('headless', { clusterIP: 'None' }));
    expect(headless.status).toBe(201);
    expect(headless.body.spec.clusterIPs).toEqual(['None']);
    const ext = await call('POST', SVC, {
      ...service('ext', { type: 'ExternalName', externalName: 'example.com' }),
    });
    expect(ext.status).toBe(201);
    expect(ext.body.spec.clusterIP).toBeUndefined();
  });

  it('honours a requested address and refuses a taken, out-of-range or malformed one with a 422', async () => {
    const chosen = await call('POST', SVC, service('chosen', { clusterIP: '10.99.0.10' }));
    expect(chosen.status).toBe(201);
    expect(chosen.body.spec.clusterIPs).toEqual(['10.99.0.10']);

    const taken = await call('POST', SVC, service('taken', { clusterIP: '10.99.0.10' }));
    expect(taken.status).toBe(422);
    expect(taken.body.reason).toBe('Invalid');
    expect(taken.body.message).toBe(
      'Service "taken" is invalid: spec.clusterIP: Invalid value: "10.99.0.10": provided IP is already allocated',
    );
    expect(taken.body.details.causes[0].field).toBe('spec.clusterIP');

    const out = await call('POST', SVC, service('out', { clusterIP: '10.96.0.20' }));
    expect(out.status).toBe(422);
    expect(out.body.message).toBe(
      `Service "out" is invalid: spec.clusterIP: Invalid value: "10.96.0.20": provided IP is not in the valid range. The range of valid IPs is ${RANGE}`,
    );
    const broadcast = await call('POST', SVC, service('bcast', { clusterIP: '10.99.0.63' }));
    expect(broadcast.status).toBe(422);

    const junk = await call('POST', SVC, service('junk', { clusterIP: '10.99.0.999' }));
    expect(junk.status).toBe(422);
    expect(junk.body.message).toContain(
      'spec.clusterIPs[0]: Invalid value: "10.99.0.999": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)',
    );

    const mismatch = await call(
      'POST',
      SVC,
      service('mismatch', { clusterIP: '10.99.0.11', clusterIPs: ['10.99.0.12'] }),
    );
    expect(mismatch.status).toBe(422);
    // kube-apiserver's validateServiceClusterIPsRelatedFields: the whole list is what is invalid.
    expect(mismatch.body.details.causes[0]).toMatchObject({
      field: 'spec.clusterIPs',
      message: expect.stringContaining('first value must match `clusterIP`'),
    });
    for (const n of ['taken', 'out', 'bcast', 'junk', 'mismatch'])
      expect((await call('GET', `${SVC}/${n}`)).status).toBe(404);
  });

  it('keeps the address on a PUT that leaves it out and refuses a change', async () => {
    const before = (await call('GET', `${SVC}/chosen`)).body;
    const { clusterIP: _a, clusterIPs: _b, ...rest } = before.spec;
    const put = await call('PUT', `${SVC}/chosen`, { ...before, spec: rest });
    expect(put.status).toBe(200);
    expect(put.body.spec.clusterIP).toBe('10.99.0.10');
    expect(put.body.spec.clusterIPs).toEqual(['10.99.0.10']);
    const change = await call('PUT', `${SVC}/chosen`, {
      ...put.body,
      spec: { ...put.body.spec, clusterIP: '10.99.0.13', clusterIPs: ['10.99.0.13'] },
    });
    expect(change.status).toBe(422);
    expect(change.body.message).toContain('spec.clusterIP: Invalid value: "10.99.0.13": field is immutable');
  });

  it('releases the address on delete and on a change to ExternalName', async () => {
    expect((await call('DELETE', `${SVC}/chosen`)).status).toBe(200);
    const again = await call('POST', SVC, service('again', { clusterIP: '10.99.0.10' }));
    expect(again.status).toBe(201);

    const cur = (await call('GET', `${SVC}/again`)).body;
    const toExt = await call('PUT', `${SVC}/again`, {
      ...cur,
      spec: { ...cur.spec, type: 'ExternalName', externalName: 'example.org' },
    });
    expect(toExt.status).toBe(200);
    expect(toExt.body.spec.clusterIP).toBeUndefined();
    const reuse = await call('POST', SVC, service('reuse', { clusterIP: '10.99.0.10' }));
    expect(reuse.status).toBe(201);
  });

  it('starts again from the stored Services after a restart', async () => {
    await srv.stop();
    srv = await startApiServer({ store, serviceClusterIpRange: RANGE });
    const taken = await call('POST', SVC, service('after-restart', { clusterIP: '10.99.0.10' }));
    expect(taken.status).toBe(422);
    expect(taken.body.message).toContain('provided IP is already allocated');
  });

  it('never gives one address twice to concurrent creates, and fills the range before refusing', async () => {
    const list = (await call('GET', SVC)).body.items as { spec: { clusterIP?: string } }[];
    const held = list.filter((s) => s.spec.clusterIP && s.spec.clusterIP !== 'None').length;
    const free = 61 - held; // 62 usable addresses, the first kept for the kubernetes Service
    const results = await Promise.all(
      Array.from({ length: free + 3 }, (_, i) => call('POST', SVC, service(`burst-${i}`))),
    );
    const ok = results.filter((r) => r.status === 201);
    expect(ok).toHaveLength(free);
    const ips = ok.map((r) => r.body.spec.clusterIP as string);
    expect(new Set(ips).size).toBe(free);
    expect(ips).not.toContain('10.99.0.1');
    const refused = results.filter((r) => r.status !== 201);
    expect(refused.map((r) => r.status)).toEqual([500, 500, 500]);
    expect(refused[0]!.body.message).toContain('range is full (10.99.0.0/26)');

    // Two creates asking for the same address at once: exactly one gets it.
    await call('DELETE', `${SVC}/burst-0`);
    const wanted = ok[0]!.body.spec.clusterIP as string;
    const race = await Promise.all(
      ['race-a', 'race-b', 'race-c'].map((n) => call('POST', SVC, service(n, { clusterIP: wanted }))),
    );
    expect(race.map((r) => r.status).sort()).toEqual([201, 422, 422]);
  });
});
