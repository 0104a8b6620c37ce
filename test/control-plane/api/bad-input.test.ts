import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningApiServer, startApiServer } from '../../support/api-server.js';

let srv: RunningApiServer;

/** Raw HTTP so the test can send what fetch would refuse (bad paths, odd methods). */
function raw(
  method: string,
  path: string,
  body?: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: srv.port,
        method,
        path,
        headers:
          body === undefined
            ? headers
            : {
                'content-type': 'application/json',
                'content-length': String(Buffer.byteLength(body)),
                ...headers,
              },
      },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => {
          text += c.toString();
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

beforeAll(async () => {
  srv = await startApiServer();
});
afterAll(async () => {
  await srv?.stop();
});

const cms = '/api/v1/namespaces/default/configmaps';
const deep = (n: number) => `{"metadata":{"name":"deep"},"data":${'{"a":'.repeat(n)}1${'}'.repeat(n)}}`;

// Each row: what is sent, the status and reason expected. None may be a 5xx.
const cases: Array<[string, string, string, string | undefined, number, string, Record<string, string>?]> = [
  ['malformed JSON', 'POST', cms, '{"metadata": {', 400, 'BadRequest'],
  ['a JSON array', 'POST', cms, '[1,2]', 400, 'BadRequest'],
  ['a JSON string', 'POST', cms, '"configmap"', 400, 'BadRequest'],
  [
    'wrong kind',
    'POST',
    cms,
    '{"apiVersion":"v1","kind":"Secret","metadata":{"name":"x"}}',
    400,
    'BadRequest',
  ],
  [
    'wrong apiVersion',
    'POST',
    cms,
    '{"apiVersion":"apps/v1","kind":"ConfigMap","metadata":{"name":"x"}}',
    400,
    'BadRequest',
  ],
  ['an invalid name', 'POST', cms, '{"metadata":{"name":"Not_Valid"}}', 422, 'Invalid'],
  ['a too long name', 'POST', cms, `{"metadata":{"name":"${'a'.repeat(300)}"}}`, 422, 'Invalid'],
  ['no name', 'POST', cms, '{"metadata":{}}', 422, 'Invalid'],
  ['a numeric name', 'POST', cms, '{"metadata":{"name":7}}', 422, 'Invalid'],
  ['metadata as a string', 'POST', cms, '{"metadata":"x"}', 400, 'BadRequest'],
  ['labels as a list', 'POST', cms, '{"metadata":{"name":"l","labels":["a"]}}', 422, 'Invalid'],
  ['a bad label value', 'POST', cms, '{"metadata":{"name":"l","labels":{"a":"has space"}}}', 422, 'Invalid'],
  [
    'data values that are not strings',
    'POST',
    cms,
    '{"metadata":{"name":"d"},"data":{"a":1}}',
    422,
    'Invalid',
  ],
  [
    'containers as a string',
    'POST',
    '/api/v1/namespaces/default/pods',
    '{"metadata":{"name":"p"},"spec":{"containers":"x"}}',
    422,
    'Invalid',
  ],
  [
    'a mismatched namespace',
    'POST',
    cms,
    '{"metadata":{"name":"n","namespace":"kube-system"}}',
    400,
    'BadRequest',
  ],
  ['JSON nested too deep', 'POST', cms, deep(5000), 400, 'BadRequest'],
  [
    'protobuf',
    'POST',
    cms,
    'k8s\u0000binary',
    415,
    'UnsupportedMediaType',
    { 'content-type': 'application/vnd.kubernetes.protobuf' },
  ],
  ['an unknown resource', 'GET', '/api/v1/widgets', undefined, 404, 'NotFound'],
  ['an unknown group', 'GET', '/apis/example.com/v1/things', undefined, 404, 'NotFound'],
  ['an unknown subresource', 'GET', `${cms}/x/status`, undefined, 404, 'NotFound'],
  ['a broken percent-encoding', 'GET', `${cms}/%E0%A4%A`, undefined, 400, 'BadRequest'],
  ['an unsupported method', 'OPTIONS', cms, undefined, 405, 'MethodNotAllowed'],
  ['POST to a named object', 'POST', `${cms}/x`, '{"metadata":{"name":"x"}}', 405, 'MethodNotAllowed'],
  [
    'a bad label selector',
    'GET',
    `${cms}?labelSelector=${encodeURIComponent('a in (b')}`,
    undefined,
    400,
    'BadRequest',
  ],
  ['a bad limit', 'GET', `${cms}?limit=-3`, undefined, 400, 'BadRequest'],
  ['a forged continue token', 'GET', `${cms}?limit=1&continue=bm90LWEtdG9rZW4`, undefined, 400, 'BadRequest'],
  [
    'a non-numeric watch resourceVersion',
    'GET',
    `${cms}?watch=true&resourceVersion=abc`,
    undefined,
    400,
    'BadRequest',
  ],
  ['a negative grace period', 'DELETE', `${cms}/x?gracePeriodSeconds=-1`, undefined, 400, 'BadRequest'],
  [
    'an unknown propagation policy',
    'DELETE',
    `${cms}/x`,
    '{"propagationPolicy":"Sideways"}',
    400,
    'BadRequest',
  ],
  ['a malformed delete body', 'DELETE', `${cms}/x`, '{', 400, 'BadRequest'],
  ['a PUT to a missing object', 'PUT', `${cms}/missing`, '{"metadata":{"name":"missing"}}', 404, 'NotFound'],
  [
    'a patch that is not JSON',
    'PATCH',
    `${cms}/x`,
    '{',
    400,
    'BadRequest',
    { 'content-type': 'application/merge-patch+json' },
  ],
  ['an unknown dryRun value', 'POST', `${cms}?dryRun=Some`, '{"metadata":{"name":"dry"}}', 400, 'BadRequest'],
  [
    'an unknown fieldValidation',
    'POST',
    `${cms}?fieldValidation=Loose`,
    '{"metadata":{"name":"fv"},"x":1}',
    400,
    'BadRequest',
  ],
];

describe('bad input answers a 4xx Status, never a 5xx', () => {
  it.each(cases)('%s', async (_what, method, path, body, status, reason, headers) => {
    if (method === 'PATCH' || method === 'DELETE' || method === 'PUT') {
      await raw('POST', cms, '{"metadata":{"name":"x"}}');
    }
    const res = await raw(method, path, body, headers);
    expect(res.status, res.body).toBe(status);
    const parsed = JSON.parse(res.body) as { kind: string; reason: string; code: number; message: string };
    expect(parsed).toMatchObject({ kind: 'Status', reason, code: status });
    expect(parsed.message.length).toBeGreaterThan(10);
  });

  it('still serves normally afterwards', async () => {
    expect((await raw('GET', '/readyz')).status).toBe(200);
    const created = await raw('POST', cms, '{"metadata":{"name":"after-bad-input"}}');
    expect(created.status).toBe(201);
  });
});
