import { describe, expect, it } from 'vitest';
import { duplicateFieldPaths } from '../../../src/control-plane/api/duplicate-fields.js';
import { loadServiceAccountKeys } from '../../../src/control-plane/serviceaccounts/keys.js';
import { generateServiceAccountKeyPem } from '../../../src/pki/service-account-key.js';
import { startApiServer } from '../../support/api-server.js';
import { useApiServer } from '../../support/use-api-server.js';

describe('duplicateFieldPaths', () => {
  it.each([
    ['{"a":1,"b":2}', []],
    ['{"a":1,"a":2}', ['a']],
    ['{"spec":{"replicas":1,"x":{"replicas":3},"replicas":2}}', ['spec.replicas']],
    ['{"s":{"c":[{"n":"a"},{"n":"b","n":"c"}]}}', ['s.c[1].n']],
    ['{"s":[[{"k":1}],[{"k":1,"k":2}]]}', ['s[1][0].k']],
    // Quotes, braces, commas and escapes inside strings are text, not structure.
    ['{"a":"x\\",\\"a\\":{","b":"}],[{","a\\u0062":1,"ab":2}', ['ab']],
    ['{"a":{},"b":[],"a":[]}', ['a']],
  ])('%s → %j', (text, paths) => {
    expect(JSON.parse(text)).toBeTypeOf('object');
    expect(duplicateFieldPaths(text)).toEqual(paths);
  });
});

describe('duplicate fields in a create body', () => {
  const server = useApiServer();
  const post = (query: string, body: string) =>
    fetch(`${server().url}/api/v1/namespaces/default/configmaps${query}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
  const body = (name: string) =>
    `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"${name}"},"data":{"k":"first","k":"second"}}`;

  it('are refused under Strict with upstream words, nothing stored', async () => {
    const res = await post('?fieldValidation=Strict', body('dup-strict'));
    expect(res.status).toBe(400);
    expect(((await res.json()) as { message: string }).message).toBe(
      'ConfigMap in version "v1" cannot be handled as a ConfigMap: strict decoding error: duplicate field "data.k"',
    );
    expect((await fetch(`${server().url}/api/v1/namespaces/default/configmaps/dup-strict`)).status).toBe(404);
  });

  it('are warned about under Warn, the last value kept', async () => {
    const res = await post('', body('dup-warn'));
    expect(res.status).toBe(201);
    expect(res.headers.get('warning')).toBe('299 - "duplicate field \\"data.k\\""');
    expect(((await res.json()) as { data: Record<string, string> }).data).toEqual({ k: 'second' });
  });
});

describe('duplicate fields in a pod body that service-account admission rewrites', () => {
  it('are still reported: JSON paths and YAML lines', async () => {
    const keys = loadServiceAccountKeys({ pem: generateServiceAccountKeyPem(), source: 'test' });
    const srv = await startApiServer({ serviceAccounts: { keys, issuer: 'https://kubernetes.default.svc' } });
    try {
      const post = (body: string, type: string) =>
        fetch(`${srv.url}/api/v1/namespaces/default/pods?fieldValidation=Strict`, {
          method: 'POST',
          headers: { 'content-type': type },
          body,
        }).then(async (r) => ({ status: r.status, body: (await r.json()) as { message: string } }));
      const json = await post(
        '{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p1"},"spec":{"containers":[{"name":"c","image":"busybox:1","image":"busybox:2"}]}}',
        'application/json',
      );
      expect(json.status).toBe(400);
      expect(json.body.message).toBe(
        'Pod in version "v1" cannot be handled as a Pod: strict decoding error: duplicate field "spec.containers[0].image"',
      );
      const yaml = await post(
        'apiVersion: v1\nkind: Pod\nmetadata: {name: p2}\nspec:\n  containers: [{name: c, image: "busybox:1"}]\n  restartPolicy: Never\n  restartPolicy: Always\n',
        'application/yaml',
      );
      expect(yaml.status).toBe(400);
      expect(yaml.body.message).toBe(
        'Pod in version "v1" cannot be handled as a Pod: strict decoding error: yaml: unmarshal errors:\n  line 7: key "restartPolicy" already set in map',
      );
    } finally {
      await srv.stop();
    }
  });
});
