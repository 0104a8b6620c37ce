import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningApiServer, startApiServer } from '../../support/api-server.js';

let srv: RunningApiServer;

async function call(
  method: string,
  path: string,
  body?: unknown,
  contentType = 'application/json',
  userAgent = 'ssa-test/1.0 (linux)',
) {
  const res = await fetch(`${srv.url}${path}`, {
    method,
    headers: { 'user-agent': userAgent, ...(body === undefined ? {} : { 'content-type': contentType }) },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text.startsWith('{') ? JSON.parse(text) : text };
}

const cms = '/api/v1/namespaces/default/configmaps';
const deploys = '/apis/apps/v1/namespaces/default/deployments';

const deployment = (replicas: number, image = 'nginx:1') =>
  [
    'apiVersion: apps/v1',
    'kind: Deployment',
    'metadata: {name: web, labels: {app: web}}',
    'spec:',
    `  replicas: ${replicas}`,
    '  selector: {matchLabels: {app: web}}',
    '  template:',
    '    metadata: {labels: {app: web}}',
    `    spec: {containers: [{name: web, image: "${image}"}]}`,
  ].join('\n');

const apply = (path: string, body: string, query = 'fieldManager=alice') =>
  call('PATCH', `${path}?${query}`, body, 'application/apply-patch+yaml');

beforeAll(async () => {
  srv = await startApiServer();
});
afterAll(async () => {
  await srv?.stop();
});

describe('server-side apply over HTTP', () => {
  it('creates on apply (201) with an Apply entry, then merges and answers 200', async () => {
    const created = await apply(`${deploys}/web`, deployment(2));
    expect(created.status).toBe(201);
    expect(created.body.spec.replicas).toBe(2);
    // Defaulting ran as for any create.
    expect(created.body.spec.strategy.type).toBe('RollingUpdate');
    const [entry] = created.body.metadata.managedFields;
    expect(entry).toMatchObject({
      manager: 'alice',
      operation: 'Apply',
      apiVersion: 'apps/v1',
      fieldsType: 'FieldsV1',
    });
    expect(entry.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(entry.fieldsV1['f:spec']['f:replicas']).toEqual({});
    expect(entry.fieldsV1['f:spec']['f:strategy']).toBeUndefined();
    const again = await apply(`${deploys}/web`, deployment(2, 'nginx:2'));
    expect(again.status).toBe(200);
    expect(again.body.spec.template.spec.containers[0].image).toBe('nginx:2');
    expect(again.body.metadata.generation).toBe(2);
  });

  it('records Update entries for other writes: fieldManager or the User-Agent prefix, subresources apart', async () => {
    const scaled = await call(
      'PATCH',
      `${deploys}/web/scale`,
      { spec: { replicas: 3 } },
      'application/merge-patch+json',
      'kubectl/v1.33.0 (linux/amd64) kubernetes/abc',
    );
    expect(scaled.status).toBe(200);
    const status = await call(
      'PATCH',
      `${deploys}/web/status?fieldManager=ctrl`,
      { status: { observedGeneration: 2 } },
      'application/merge-patch+json',
    );
    expect(status.status).toBe(200);
    const got = (await call('GET', `${deploys}/web`)).body;
    const entries = got.metadata.managedFields.map((e: Record<string, unknown>) => [
      e.manager,
      e.operation,
      e.subresource,
    ]);
    // Apply entries first, then Update entries by time (then manager, as upstream sorts them).
    expect(entries[0]).toEqual(['alice', 'Apply', undefined]);
    expect(entries.slice(1)).toEqual(
      expect.arrayContaining([
        ['kubectl', 'Update', 'scale'],
        ['ctrl', 'Update', 'status'],
      ]),
    );
    // The scale write took .spec.replicas from alice.
    expect(got.metadata.managedFields[0].fieldsV1['f:spec']['f:replicas']).toBeUndefined();
    const ctrl = got.metadata.managedFields.find((e: { manager: string }) => e.manager === 'ctrl');
    expect(ctrl.fieldsV1).toEqual({ 'f:status': { 'f:observedGeneration': {} } });
  });

  it('answers 409 with FieldManagerConflict causes, and force=true takes the field', async () => {
    const clash = await apply(`${deploys}/web`, deployment(5, 'nginx:2'), 'fieldManager=bob');
    expect(clash.status).toBe(409);
    expect(clash.body).toMatchObject({
      kind: 'Status',
      reason: 'Conflict',
      code: 409,
      message:
        'Apply failed with 1 conflict: conflict with "kubectl" with subresource "scale" using apps/v1: .spec.replicas',
      details: {
        causes: [
          {
            reason: 'FieldManagerConflict',
            message: 'conflict with "kubectl" with subresource "scale" using apps/v1',
            field: '.spec.replicas',
          },
        ],
      },
    });
    const dry = await apply(
      `${deploys}/web`,
      deployment(5, 'nginx:2'),
      'fieldManager=bob&force=true&dryRun=All',
    );
    expect(dry.status).toBe(200);
    expect(dry.body.spec.replicas).toBe(5);
    expect((await call('GET', `${deploys}/web`)).body.spec.replicas).toBe(3);
    const forced = await apply(`${deploys}/web`, deployment(5, 'nginx:2'), 'fieldManager=bob&force=true');
    expect(forced.status).toBe(200);
    expect(forced.body.spec.replicas).toBe(5);
    const managers = forced.body.metadata.managedFields.map((e: { manager: string }) => e.manager);
    expect(managers).not.toContain('kubectl');
  });

  it('applies to the status subresource: only status changes, in an entry of its own', async () => {
    const body =
      'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec: {replicas: 1}\nstatus: {observedGeneration: 9}';
    const clash = await apply(`${deploys}/web/status`, body, 'fieldManager=status-ctrl');
    expect(clash.status).toBe(409);
    expect(clash.body.message).toBe(
      'Apply failed with 1 conflict: conflict with "ctrl" with subresource "status" using apps/v1: .status.observedGeneration',
    );
    const res = await apply(`${deploys}/web/status`, body, 'fieldManager=status-ctrl&force=true');
    expect(res.status).toBe(200);
    expect(res.body.status.observedGeneration).toBe(9);
    expect(res.body.spec.replicas).toBe(5);
    const entry = res.body.metadata.managedFields.find(
      (e: { manager: string }) => e.manager === 'status-ctrl',
    );
    expect(entry).toMatchObject({ operation: 'Apply', subresource: 'status' });
    expect(entry.fieldsV1).toEqual({ 'f:status': { 'f:observedGeneration': {} } });
    expect(
      (await apply(`${deploys}/nope/status`, body.replace('web', 'nope'), 'fieldManager=s')).status,
    ).toBe(404);
  });

  it('tracks writes of kinds outside the merge-key table (Endpoints with repeated addresses)', async () => {
    const eps = '/api/v1/namespaces/default/endpoints';
    const subsets = [{ addresses: [{ ip: '10.0.0.1' }, { ip: '10.0.0.1' }], ports: [{ port: 80 }] }];
    const created = await call('POST', eps, { metadata: { name: 'svc' }, subsets });
    expect(created.status).toBe(201);
    const fields = created.body.metadata.managedFields[0].fieldsV1;
    expect(fields['f:subsets']).toEqual({});
    const updated = await call('PUT', `${eps}/svc`, {
      ...created.body,
      subsets: [{ ...subsets[0], addresses: [{ ip: '10.0.0.2' }] }],
    });
    expect(updated.status).toBe(200);
    expect(updated.body.subsets[0].addresses).toEqual([{ ip: '10.0.0.2' }]);
  });

  it('removes what a manager no longer applies', async () => {
    const cm = (data: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg}\ndata: {${data}}`;
    expect((await apply(`${cms}/cfg`, cm('a: "1", b: "2"'))).status).toBe(201);
    const other = await call(
      'PATCH',
      `${cms}/cfg?fieldManager=bob`,
      { data: { c: '3' } },
      'application/merge-patch+json',
    );
    expect(other.status).toBe(200);
    const dropped = await apply(`${cms}/cfg`, cm('a: "1"'));
    expect(dropped.body.data).toEqual({ a: '1', c: '3' });
  });

  it('validates fieldManager and the apply body with upstream statuses', async () => {
    const long = await apply(
      `${cms}/v1`,
      'apiVersion: v1\nkind: ConfigMap',
      `fieldManager=${'x'.repeat(129)}`,
    );
    expect(long.status).toBe(422);
    expect(long.body.message).toBe(
      'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Too long: may not be more than 128 bytes',
    );
    const ctl = await call('POST', `${cms}?fieldManager=a%07b`, { metadata: { name: 'v2' } });
    expect(ctl.status).toBe(422);
    expect(ctl.body.message).toContain(
      'CreateOptions.meta.k8s.io "" is invalid: fieldManager[1]: Invalid value',
    );
    const force = await call('PATCH', `${cms}/cfg?force=true`, { data: {} }, 'application/merge-patch+json');
    expect(force.status).toBe(422);
    expect(force.body.message).toContain('force: Forbidden: may not be specified for non-apply patch');
    expect((await apply(`${cms}/v3`, 'a: [unclosed')).status).toBe(400);
    expect((await apply(`${cms}/v3`, '- a list')).status).toBe(400);
    const withManaged = await apply(
      `${cms}/v3`,
      'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: v3, managedFields: [{manager: x}]}',
    );
    expect(withManaged.status).toBe(400);
    expect(withManaged.body.message).toBe('metadata.managedFields must be nil');
    expect((await apply(`${cms}/v3`, 'apiVersion: apps/v1\nkind: ConfigMap')).status).toBe(400);
    const dup = await apply(
      `${deploys}/dup`,
      'apiVersion: apps/v1\nkind: Deployment\nspec: {template: {spec: {containers: [{name: a}, {name: a}]}}}',
    );
    expect(dup.status).toBe(422);
    expect(dup.body.message).toContain('duplicate entries for key {"name":"a"}');
  });

  it('keeps, resets and ignores client-sent managedFields as upstream', async () => {
    const cur = (await call('GET', `${cms}/cfg`)).body;
    const bad = await call('PUT', `${cms}/cfg`, {
      ...cur,
      metadata: {
        ...cur.metadata,
        managedFields: [{ manager: 'z', operation: 'Nope', fieldsType: 'FieldsV1' }],
      },
    });
    expect(bad.status).toBe(200);
    expect(bad.body.metadata.managedFields.map((e: { manager: string }) => e.manager)).toEqual([
      'alice',
      'bob',
    ]);
    const reset = await call('PUT', `${cms}/cfg`, {
      ...bad.body,
      metadata: { ...bad.body.metadata, managedFields: [] },
    });
    expect(reset.status).toBe(200);
    expect(reset.body.metadata.managedFields).toBeUndefined();
  });

  it('gives 4xx, never 500 or a hang, for hostile apply bodies', async () => {
    let deep = 'x: 1';
    for (let i = 0; i < 150; i++) deep = `{a: ${deep.startsWith('{') ? deep : `{${deep}}`}}`;
    const tooDeep = await apply(`${cms}/deep`, `apiVersion: v1\nkind: ConfigMap\nmetadata: ${deep}`);
    expect(tooDeep.status).toBeGreaterThanOrEqual(400);
    expect(tooDeep.status).toBeLessThan(500);
    const bomb = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]'];
    for (let i = 0; i < 12; i++)
      bomb.push(
        `${'b'.repeat(i + 1)}: &${'b'.repeat(i + 1)} [*${i ? 'b'.repeat(i) : 'a'}, *${i ? 'b'.repeat(i) : 'a'}, *${i ? 'b'.repeat(i) : 'a'}]`,
      );
    const aliases = await apply(`${cms}/bomb`, bomb.join('\n'));
    expect(aliases.status).toBe(400);
    const items = Array.from({ length: 5000 }, (_, i) => `{name: c${i}, image: x}`).join(', ');
    const huge = await apply(
      `${deploys}/huge`,
      `apiVersion: apps/v1\nkind: Deployment\nspec: {selector: {matchLabels: {a: b}}, template: {metadata: {labels: {a: b}}, spec: {containers: [${items}]}}}`,
    );
    expect(huge.status).toBe(201);
    expect(
      huge.body.metadata.managedFields[0].fieldsV1['f:spec']['f:template']['f:spec']['f:containers'][
        'k:{"name":"c4999"}'
      ],
    ).toEqual({
      '.': {},
      'f:image': {},
      'f:name': {},
    });
    expect((await call('GET', '/readyz')).status).toBe(200);
  });
});
