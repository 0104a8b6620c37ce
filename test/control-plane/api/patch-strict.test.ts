import { describe, expect, it } from 'vitest';
import { goValueString } from '../../../src/control-plane/api/patch-strict.js';
import { useApiServer } from '../../support/use-api-server.js';

const deploys = '/apis/apps/v1/namespaces/default/deployments';
const deployment = (name: string) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name },
  spec: {
    replicas: 1,
    selector: { matchLabels: { app: name } },
    template: {
      metadata: { labels: { app: name } },
      spec: { containers: [{ name: 'nginx', image: 'nginx:1' }] },
    },
  },
});

// Upstream's own bodies (test/integration/apiserver/field_validation_test.go).
const mergePatch = `{"spec": {"unknown1": "val1", "unknownDupe": "valDupe", "unknownDupe": "valDupe2",
  "paused": true, "paused": false,
  "template": {"spec": {"containers": [{"name": "nginx", "image": "nginx:latest", "unknownNested": "val1",
  "imagePullPolicy": "Always", "imagePullPolicy": "Never"}]}}}}`;
const duplicatesOnly = `{"spec": {"paused": true, "paused": false,
  "template": {"spec": {"containers": [{"name": "nginx", "image": "nginx:latest",
  "imagePullPolicy": "Always", "imagePullPolicy": "Never"}]}}}}`;
const jsonPatch = `[
  {"op": "add", "path": "/spec/unknown1", "value": "val1", "foo": "bar"},
  {"op": "add", "path": "/spec/unknown2", "path": "/spec/unknown3", "value": "val1"},
  {"op": "add", "path": "/spec/paused", "value": true}
]`;

describe('fieldValidation of patch bodies: repeated and unknown fields', () => {
  const server = useApiServer();
  const send = async (method: string, path: string, body?: string, contentType = 'application/json') => {
    const res = await fetch(`${server().url}${path}`, {
      method,
      headers: { 'content-type': contentType },
      body,
    });
    const text = await res.text();
    return {
      status: res.status,
      warnings: res.headers.get('warning'),
      body: text.startsWith('{') ? JSON.parse(text) : text,
    };
  };
  const create = (name: string) =>
    send('POST', deploys, JSON.stringify(deployment(name)), 'application/json').then((r) =>
      expect(r.status).toBe(201),
    );

  it.each([
    ['merge', 'application/merge-patch+json'],
    ['strategic', 'application/strategic-merge-patch+json'],
  ])(
    '%s patch: Strict is 422 on field patch with upstream words, nothing stored',
    async (type, contentType) => {
      await create(`strict-${type}`);
      const r = await send(
        'PATCH',
        `${deploys}/strict-${type}?fieldValidation=Strict`,
        mergePatch,
        contentType,
      );
      expect(r.status).toBe(422);
      expect(r.body.reason).toBe('Invalid');
      expect(r.body.message).toMatch(/^ "" is invalid: patch: Invalid value: "/);
      expect(
        r.body.message.endsWith(
          'strict decoding error: duplicate field "spec.unknownDupe", duplicate field "spec.paused", duplicate field "spec.template.spec.containers[0].imagePullPolicy", unknown field "spec.template.spec.containers[0].unknownNested", unknown field "spec.unknown1", unknown field "spec.unknownDupe"',
        ),
      ).toBe(true);
      expect(r.body.details.causes[0].field).toBe('patch');
      if (type === 'strategic')
        expect(r.body.message).toContain('Invalid value: "map[spec:map[paused:false template:map[');
      else expect(r.body.message).toContain('Invalid value: "{\\"apiVersion\\":\\"apps/v1\\"');
      const got = await send('GET', `${deploys}/strict-${type}`);
      expect(got.body.spec.paused).toBeUndefined();

      const dupes = await send(
        'PATCH',
        `${deploys}/strict-${type}?fieldValidation=Strict`,
        duplicatesOnly,
        contentType,
      );
      expect(dupes.status).toBe(422);
      expect(
        dupes.body.message.endsWith(
          'strict decoding error: duplicate field "spec.paused", duplicate field "spec.template.spec.containers[0].imagePullPolicy"',
        ),
      ).toBe(true);
    },
  );

  it('Warn (the default) answers a Warning per problem and keeps the last value; Ignore says nothing', async () => {
    await create('warn-patch');
    const r = await send('PATCH', `${deploys}/warn-patch`, duplicatesOnly, 'application/merge-patch+json');
    expect(r.status).toBe(200);
    expect(r.warnings).toBe(
      '299 - "duplicate field \\"spec.paused\\"", 299 - "duplicate field \\"spec.template.spec.containers[0].imagePullPolicy\\""',
    );
    expect(r.body.spec.paused).toBe(false);
    expect(r.body.spec.template.spec.containers[0].imagePullPolicy).toBe('Never');
    const quiet = await send(
      'PATCH',
      `${deploys}/warn-patch?fieldValidation=Ignore`,
      duplicatesOnly,
      'application/merge-patch+json',
    );
    expect(quiet.status).toBe(200);
    expect(quiet.warnings).toBeNull();
  });

  it('JSON patch: repeated and unknown fields of the operations, then the result’s unknown fields', async () => {
    await create('strict-json');
    const r = await send(
      'PATCH',
      `${deploys}/strict-json?fieldValidation=Strict`,
      jsonPatch,
      'application/json-patch+json',
    );
    expect(r.status).toBe(422);
    expect(
      r.body.message.endsWith(
        'strict decoding error: json patch duplicate field "[1].path", json patch unknown field "[0].foo", unknown field "spec.unknown1", unknown field "spec.unknown3"',
      ),
    ).toBe(true);
    // Not JSON at all stays a 400 about the body.
    const bad = await send(
      'PATCH',
      `${deploys}/strict-json?fieldValidation=Strict`,
      '[{"op": "add", "path',
      'application/json-patch+json',
    );
    expect(bad.status).toBe(400);
  });

  it('YAML create and update bodies: go-yaml lines under Strict and Warn, the last value under Ignore', async () => {
    const yaml = (name: string) => `apiVersion: v1
kind: ConfigMap
metadata:
  name: ${name}
  name: ${name}
data:
  a: "1"
  b: "2"
  a: "3"
`;
    const cms = '/api/v1/namespaces/default/configmaps';
    const strict = await send('POST', `${cms}?fieldValidation=Strict`, yaml('y-strict'), 'application/yaml');
    expect(strict.status).toBe(400);
    expect(strict.body.message).toBe(
      'ConfigMap in version "v1" cannot be handled as a ConfigMap: strict decoding error: yaml: unmarshal errors:\n  line 5: key "name" already set in map\n  line 9: key "a" already set in map',
    );
    const warn = await send('POST', cms, yaml('y-warn'), 'application/yaml');
    expect(warn.status).toBe(201);
    expect(warn.warnings).toBe(
      '299 - "line 5: key \\"name\\" already set in map", 299 - "line 9: key \\"a\\" already set in map"',
    );
    expect(warn.body.data).toEqual({ a: '3', b: '2' });
    const put = await send('PUT', `${cms}/y-warn?fieldValidation=Ignore`, yaml('y-warn'), 'application/yaml');
    expect(put.status).toBe(200);
    expect(put.warnings).toBeNull();
  });

  it('apply bodies: 400 under Strict with upstream words, a Warning under Warn', async () => {
    const body = 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: y-apply}\ndata:\n  a: "1"\n  a: "2"\n';
    const path = '/api/v1/namespaces/default/configmaps/y-apply?fieldManager=m';
    const strict = await send(
      'PATCH',
      `${path}&fieldValidation=Strict`,
      body,
      'application/apply-patch+yaml',
    );
    expect(strict.status).toBe(400);
    expect(strict.body.message).toBe(
      'error strict decoding YAML: error converting YAML to JSON: yaml: unmarshal errors:\n  line 6: key "a" already set in map',
    );
    const warn = await send('PATCH', path, body, 'application/apply-patch+yaml');
    expect(warn.status).toBe(201);
    expect(warn.warnings).toBe(
      '299 - "error converting YAML to JSON: yaml: unmarshal errors:\\n  line 6: key \\"a\\" already set in map"',
    );
    expect(warn.body.data).toEqual({ a: '2' });
  });
});

describe('goValueString', () => {
  it.each([
    [{ b: [1, 'x', null], a: { c: true } }, 'map[a:map[c:true] b:[1 x <nil>]]'],
    [{ n: 0.5, big: 1e21, small: 0.00001 }, 'map[big:1e+21 n:0.5 small:1e-05]'],
    [[], '[]'],
  ])('%j → %s', (value, text) => {
    expect(goValueString(value)).toBe(text);
  });
});
