import { describe, expect, it } from 'vitest';
import { jsonCaller } from '../../support/json-call.js';
import { useApiServer } from '../../support/use-api-server.js';

const srv = useApiServer();
const call = jsonCaller(() => srv().url);
const base = '/api/v1/namespaces/default/configmaps';

async function apply(name: string, manager: string, data: Record<string, string>) {
  const res = await fetch(`${srv().url}${base}/${name}?fieldManager=${manager}`, {
    method: 'PATCH',
    headers: { 'content-type': 'application/apply-patch+yaml' },
    body: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data }),
  });
  expect(res.status).toBeLessThan(300);
  return (await res.json()) as {
    metadata: { resourceVersion: string; managedFields: { manager: string }[] };
  };
}

// kube-apiserver writes nothing when a write changes nothing but managedFields timestamps.
describe('a write that changes nothing', () => {
  it('keeps the resourceVersion for a repeated update, and bumps it for a real change', async () => {
    const created = await call('POST', base, { metadata: { name: 'same-put' }, data: { a: '1' } });
    const rv = created.body.metadata.resourceVersion;
    const again = await call('PUT', `${base}/same-put`, created.body);
    expect([again.status, again.body.metadata.resourceVersion]).toEqual([200, rv]);
    const changed = await call('PUT', `${base}/same-put`, { ...created.body, data: { a: '2' } });
    expect(changed.body.metadata.resourceVersion).not.toBe(rv);
  });

  it('keeps the resourceVersion for a repeated apply, and records a second manager of the same values', async () => {
    const first = await apply('same-apply', 'one', { a: '1' });
    await new Promise((r) => setTimeout(r, 1100)); // a new second: the entry's time would differ
    const second = await apply('same-apply', 'one', { a: '1' });
    expect(second.metadata.resourceVersion).toBe(first.metadata.resourceVersion);
    expect(second.metadata.managedFields).toEqual(first.metadata.managedFields);
    const shared = await apply('same-apply', 'two', { a: '1' });
    expect(shared.metadata.resourceVersion).not.toBe(first.metadata.resourceVersion);
    expect(shared.metadata.managedFields.map((e) => e.manager)).toEqual(['one', 'two']);
  });
});
