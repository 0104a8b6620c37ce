import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Pod } from '../../src/client/index.js';
import { isConflict, isNotFound, KubeClient, resources } from '../../src/client/index.js';
import { type FakeApi, startFakeApi } from '../support/fake-api.js';

const pod = (name: string, labels: Record<string, string>, nodeName?: string): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'default', labels },
  spec: { containers: [{ name: 'c', image: 'local/busybox' }], ...(nodeName ? { nodeName } : {}) },
});

describe('KubeClient against the fake API', () => {
  let api: FakeApi;
  let client: KubeClient;
  beforeAll(async () => {
    api = await startFakeApi();
    client = new KubeClient({ server: api.url, allowInsecureLoopback: true });
  });
  afterAll(async () => {
    client.close();
    await api.close();
  });

  it('creates, gets, lists by label and field selector', async () => {
    await client.create(resources.pods, pod('a', { app: 'web' }, 'n1'));
    await client.create(resources.pods, pod('b', { app: 'db' }, 'n2'));
    const got = await client.get<Pod>(resources.pods, 'a', 'default');
    expect(got.metadata.uid).toMatch(/[0-9a-f-]{36}/);
    const web = await client.list<Pod>(resources.pods, {
      namespace: 'default',
      labelSelector: { app: 'web' },
    });
    expect(web.items.map((p) => p.metadata.name)).toEqual(['a']);
    const onN2 = await client.list<Pod>(resources.pods, { fieldSelector: 'spec.nodeName=n2' });
    expect(onN2.items.map((p) => p.metadata.name)).toEqual(['b']);
  });

  it('reports 404 and 409 as typed errors', async () => {
    await expect(client.get(resources.pods, 'missing', 'default')).rejects.toSatisfy(isNotFound);
    await expect(client.create(resources.pods, pod('a', {}))).rejects.toSatisfy(isConflict);
    const a = await client.get<Pod>(resources.pods, 'a', 'default');
    await client.update(resources.pods, {
      ...a,
      metadata: { ...a.metadata, labels: { app: 'web', v: '2' } },
    });
    await expect(client.update(resources.pods, a)).rejects.toSatisfy(isConflict);
  });

  it('patches (merge, json) and writes the status subresource only', async () => {
    await client.patch(
      resources.pods,
      'a',
      { metadata: { labels: { tier: 'front' } } },
      { namespace: 'default' },
    );
    await client.patch(
      resources.pods,
      'a',
      [{ op: 'add', path: '/metadata/annotations', value: { x: 'y' } }],
      {
        namespace: 'default',
        patchType: 'json',
      },
    );
    const patched = await client.patch<Pod>(
      resources.pods,
      'a',
      { status: { phase: 'Running' }, metadata: { labels: { ignored: 'yes' } } },
      { namespace: 'default', subresource: 'status' },
    );
    expect(patched.status?.phase).toBe('Running');
    expect(patched.metadata.labels).toEqual({ app: 'web', v: '2', tier: 'front' });
    expect(patched.metadata.annotations).toEqual({ x: 'y' });
  });

  it('deletes with a grace period of zero', async () => {
    await client.delete(resources.pods, 'b', { namespace: 'default', gracePeriodSeconds: 0 });
    await expect(client.get(resources.pods, 'b', 'default')).rejects.toSatisfy(isNotFound);
  });

  it('watches changes after a resourceVersion', async () => {
    const list = await client.list<Pod>(resources.pods, { namespace: 'default' });
    const abort = new AbortController();
    const seen: string[] = [];
    const done = (async () => {
      for await (const e of client.watch<Pod>(resources.pods, {
        namespace: 'default',
        resourceVersion: list.metadata.resourceVersion,
        signal: abort.signal,
      })) {
        seen.push(`${e.type} ${e.object.metadata.name}`);
        if (seen.length === 2) abort.abort();
      }
    })();
    await client.create(resources.pods, pod('c', {}));
    await client.delete(resources.pods, 'c', { namespace: 'default', gracePeriodSeconds: 0 });
    await done;
    expect(seen).toEqual(['ADDED c', 'DELETED c']);
  });

  it('refuses plain http to a non-loopback address', () => {
    expect(() => new KubeClient({ server: 'http://10.0.0.1:6443', allowInsecureLoopback: true })).toThrow(
      /refusing plain http/,
    );
    expect(() => new KubeClient({ server: api.url })).toThrow(/allowInsecureLoopback/);
  });
});
