import { describe, expect, it } from 'vitest';
import { duplicateFieldPaths } from '../../../src/control-plane/api/duplicate-fields.js';
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
