/**
 * Random and malformed API requests for the fuzz test and bench/api-fuzz.ts: mutated valid objects
 * (every verb, every patch type), malformed bodies, paths, queries and content types, hostile JSON
 * patches and random protobuf. Replayable from a seed.
 */
import { prng } from './prng.js';

/** One request to send. */
export interface FuzzRequest {
  readonly method: string;
  readonly path: string;
  readonly body?: Buffer;
  readonly contentType?: string;
  readonly accept?: string;
}

// Every field family the registry validates appears here, so the mutators reach all of them.
const podSpec = {
  securityContext: {
    runAsUser: 1000,
    fsGroupChangePolicy: 'OnRootMismatch',
    sysctls: [{ name: 'net.core.somaxconn', value: '1024' }],
    seccompProfile: { type: 'RuntimeDefault' },
  },
  containers: [
    {
      name: 'c',
      image: 'busybox:1',
      env: [{ name: 'A', value: '1' }],
      envFrom: [{ prefix: 'P_', configMapRef: { name: 'f' } }],
      ports: [{ containerPort: 80 }],
      lifecycle: { preStop: { httpGet: { path: '/quit', port: 80 } } },
      securityContext: { capabilities: { drop: ['ALL'] }, allowPrivilegeEscalation: false },
    },
  ],
  volumes: [
    { name: 'd', downwardAPI: { items: [{ path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } }] } },
    {
      name: 'p',
      projected: { sources: [{ secret: { name: 'f', items: [{ key: 'k', path: 'k', mode: 0o400 }] } }] },
    },
  ],
  topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'zone', whenUnsatisfiable: 'ScheduleAnyway' }],
};
const template = { metadata: { labels: { app: 'f' } }, spec: podSpec };
export const TEMPLATES: Array<{ path: string; body: Record<string, unknown> }> = [
  {
    path: '/api/v1/namespaces/default/pods',
    body: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'f', labels: { a: 'b' } }, spec: podSpec },
  },
  {
    path: '/api/v1/namespaces/default/configmaps',
    body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'f' }, data: { k: 'v' } },
  },
  {
    path: '/api/v1/namespaces/default/secrets',
    body: { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'f' }, stringData: { k: 'v' } },
  },
  {
    path: '/api/v1/namespaces/default/services',
    body: {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'f' },
      spec: {
        selector: { app: 'f' },
        ports: [
          { name: 'http', port: 80, targetPort: 'http' },
          { name: 'dns', port: 53, protocol: 'UDP' },
        ],
        sessionAffinity: 'ClientIP',
        sessionAffinityConfig: { clientIP: { timeoutSeconds: 600 } },
      },
    },
  },
  {
    path: '/api/v1/namespaces/default/events',
    body: {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: 'f' },
      involvedObject: { kind: 'Pod', name: 'f' },
      reason: 'R',
      message: 'm',
    },
  },
  {
    path: '/api/v1/nodes',
    body: {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: 'f' },
      status: { addresses: [{ type: 'InternalIP', address: '127.0.0.1' }] },
    },
  },
  { path: '/api/v1/namespaces', body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'f' } } },
  {
    path: '/apis/apps/v1/namespaces/default/deployments',
    body: {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'f' },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 'f' } },
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: '25%' } },
        template,
      },
    },
  },
  {
    path: '/apis/apps/v1/namespaces/default/daemonsets',
    body: {
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: { name: 'f' },
      spec: {
        selector: { matchLabels: { app: 'f' } },
        updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } },
        template,
      },
    },
  },
  {
    path: '/apis/batch/v1/namespaces/default/jobs',
    body: {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'f' },
      spec: { template: { spec: { ...podSpec, restartPolicy: 'Never' } } },
    },
  },
  {
    path: '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases',
    body: {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: 'f' },
      spec: { holderIdentity: 'f', leaseDurationSeconds: 40 },
    },
  },
];

function paths(value: unknown, prefix: string[] = [], out: string[][] = []): string[][] {
  out.push(prefix);
  if (typeof value === 'object' && value !== null) {
    for (const [k, v] of Object.entries(value)) paths(v, [...prefix, k], out);
  }
  return out;
}

function randomValue(r: () => number, depth = 0): unknown {
  const choices: Array<() => unknown> = [
    () => null,
    () => -1,
    () => 1.5,
    () => Number.MAX_SAFE_INTEGER,
    () => '',
    () => 'x'.repeat(Math.floor(r() * 2000)),
    () => '☃ ünïcödé \u0000 "quoted" /slash',
    () => true,
    () => [],
    () => ({}),
    () => [1, 'a', null, { name: 'n' }],
    () => (depth < 3 ? { name: 'Bad Name', [`k${Math.floor(r() * 9)}`]: randomValue(r, depth + 1) } : 'leaf'),
    () => 'valid-name',
  ];
  return choices[Math.floor(r() * choices.length)]!();
}

function mutate(obj: Record<string, unknown>, r: () => number): Record<string, unknown> {
  const copy = structuredClone(obj);
  const all = paths(copy).filter((p) => p.length > 0);
  const target = all[Math.floor(r() * all.length)]!;
  let parent: Record<string, unknown> = copy;
  for (const key of target.slice(0, -1)) parent = parent[key] as Record<string, unknown>;
  const last = target[target.length - 1]!;
  const op = r();
  if (op < 0.25) delete parent[last];
  else if (op < 0.85) parent[last] = randomValue(r);
  else parent[`extra${Math.floor(r() * 5)}`] = randomValue(r);
  if (r() < 0.7 && typeof copy.metadata === 'object' && copy.metadata !== null) {
    (copy.metadata as Record<string, unknown>).name = `f-${Math.floor(r() * 40)}`;
  }
  return copy;
}

const json = (v: unknown) => Buffer.from(JSON.stringify(v));
const pick = <T>(r: () => number, items: readonly T[]): T => items[Math.floor(r() * items.length)]!;

const PATHS = [
  '/api/v1/namespaces/%ZZ/pods',
  '/api/v1/namespaces/default/pods/x/binding',
  '/api/v1/namespaces/default/pods/x/status',
  '/api/v1/namespaces/default/pods/x/log',
  '/api/v1/namespaces/default/pods/x/exec?command=ls',
  '/api/v1/nodes/f/status',
  '/apis/apps/v1/namespaces/default/deployments/f/scale',
  '/apis/unknown.example/v1/things',
  '/api/v2/pods',
  '//api//v1',
  '/api/v1/namespaces/default/configmaps?labelSelector=!!%3D%3D',
  '/api/v1/namespaces/default/configmaps?fieldSelector=metadata.nam%3Dx',
  '/api/v1/namespaces/default/configmaps?limit=-1',
  '/api/v1/namespaces/default/configmaps?limit=2&continue=garbage',
  '/api/v1/namespaces/default/configmaps?resourceVersion=abc&resourceVersionMatch=Exact',
  '/api/v1/namespaces/default/configmaps?fieldValidation=Bogus',
  '/api/v1/namespaces/default/configmaps?dryRun=Maybe',
  `/api/v1/namespaces/${'n'.repeat(300)}/pods`,
  '/apis',
  '/openapi/v3/api/v1',
  '/version?x=%00',
];

const CONTENT_TYPES = [
  'application/json',
  'application/yaml',
  'application/vnd.kubernetes.protobuf',
  'application/merge-patch+json',
  'application/strategic-merge-patch+json',
  'application/json-patch+json',
  'application/apply-patch+yaml',
  'text/plain',
  'multipart/form-data; boundary=x',
  '',
];

function malformedBody(r: () => number): Buffer {
  const choices: Array<() => Buffer> = [
    () => Buffer.from('{"metadata": {"name": "x"'),
    () => Buffer.from(`${'['.repeat(150)}${']'.repeat(150)}`),
    () => Buffer.from(`{"a":${'{"a":'.repeat(120)}1${'}'.repeat(121)}`),
    () => Buffer.from(Array.from({ length: Math.floor(r() * 512) }, () => Math.floor(r() * 256))),
    () => Buffer.from('metadata:\n  name: [unclosed'),
    () => Buffer.from('{"metadata":{"name":"f"},"data":{"k":1e999}}'),
    () => Buffer.from('null'),
    () => Buffer.from('"just a string"'),
    () => Buffer.from(`{"metadata":{"name":"f","\u043a\u043b\u044e\u0447":1},"\ud800":2}`),
    () => Buffer.from('\ufeff{"metadata":{"name":"bom"}}'),
  ];
  return pick(r, choices)();
}

/** JSON patches that try to grow, nest or break the object. */
function hostilePatch(r: () => number): unknown[] {
  const n = 1 + Math.floor(r() * 25);
  const kinds: Array<() => unknown[]> = [
    () => [
      { op: 'add', path: '/metadata/annotations', value: { a: 'x'.repeat(100) } },
      ...Array.from({ length: n }, (_, i) => ({
        op: 'copy',
        from: '/metadata/annotations',
        path: `/metadata/annotations/c${i}`,
      })),
    ],
    () => Array.from({ length: n }, () => ({ op: 'move', from: '/metadata', path: '/metadata' })),
    () => [{ op: 'add', path: '/metadata/labels/__proto__', value: { polluted: true } }],
    () => [{ op: 'replace', path: '', value: [] }],
    () => [{ op: 'remove', path: '/metadata' }],
    () => [{ op: 'add', path: `/spec/x${'/y'.repeat(150)}`, value: 1 }],
    () => [{ op: 'test', path: '/kind', value: { a: [1, 2, 3] } }],
    () => [{ op: 'copy', from: '/nope', path: '/x' }, { op: 'frob' }, 'string', null],
  ];
  return pick(r, kinds)();
}

/** A protobuf varint (for hand-built test envelopes). */
export const varint = (n: bigint): number[] => {
  const out: number[] = [];
  let v = n;
  while (v > 0x7fn) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return out;
};
/** A length-delimited protobuf field. */
export const field = (num: number, data: Buffer) =>
  Buffer.from([...varint(BigInt((num << 3) | 2)), ...varint(BigInt(data.length)), ...data]);

/** A protobuf envelope of a served kind with random fields and values (2^62 seconds among them). */
function randomProtobuf(r: () => number): Buffer {
  const parts: Buffer[] = [];
  for (let i = 0; i < 1 + Math.floor(r() * 6); i++) {
    const num = 1 + Math.floor(r() * 16);
    if (r() < 0.5) {
      const n = pick(r, [0n, 1n, 2n ** 62n, 2n ** 64n - 1n, 123456789n]);
      parts.push(Buffer.from([...varint(BigInt(num << 3)), ...varint(n)]));
    } else
      parts.push(field(num, r() < 0.5 ? Buffer.from('f') : field(8, Buffer.from([8, ...varint(2n ** 62n)]))));
  }
  const kind = pick(r, ['ConfigMap', 'Namespace', 'Secret', 'Service', 'Deployment', 'Pod']);
  const apiVersion = kind === 'Deployment' ? 'apps/v1' : 'v1';
  return Buffer.concat([
    Buffer.from('k8s\u0000', 'latin1'),
    field(1, Buffer.concat([field(1, Buffer.from(apiVersion)), field(2, Buffer.from(kind))])),
    field(2, Buffer.concat([field(1, Buffer.concat([field(1, Buffer.from('pb'))])), ...parts])),
  ]);
}

/** The i-th request of a fuzz run seeded with `seed`. */
export function fuzzRequests(seed: number): () => FuzzRequest {
  const r = prng(seed);
  return () => {
    const t = pick(r, TEMPLATES);
    const body = mutate(t.body, r);
    const name = String((body.metadata as { name?: unknown } | undefined)?.name ?? 'f');
    const item = `${t.path}/${encodeURIComponent(name)}`;
    const p = r();
    if (p < 0.3) return { method: 'POST', path: t.path, body: json(body), contentType: 'application/json' };
    if (p < 0.4) return { method: 'PUT', path: item, body: json(body), contentType: 'application/json' };
    if (p < 0.47)
      return { method: 'PATCH', path: item, body: json(body), contentType: 'application/merge-patch+json' };
    if (p < 0.54)
      return {
        method: 'PATCH',
        path: item,
        body: json(body),
        contentType: 'application/strategic-merge-patch+json',
      };
    if (p < 0.62)
      return {
        method: 'PATCH',
        path: item,
        body: json(hostilePatch(r)),
        contentType: 'application/json-patch+json',
      };
    if (p < 0.67)
      return { method: 'GET', path: t.path, accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' };
    if (p < 0.71)
      return { method: 'PUT', path: `${item}/status`, body: json(body), contentType: 'application/json' };
    if (p < 0.75)
      return {
        method: 'DELETE',
        path: item,
        body:
          r() < 0.5
            ? undefined
            : json({ gracePeriodSeconds: randomValue(r), propagationPolicy: randomValue(r) }),
        contentType: 'application/json',
      };
    if (p < 0.82)
      return {
        method: pick(r, ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD', 'PROPFIND']),
        path: pick(r, PATHS),
        body: r() < 0.5 ? malformedBody(r) : json(body),
        contentType: pick(r, CONTENT_TYPES),
      };
    if (p < 0.9)
      return {
        method: pick(r, ['POST', 'PUT', 'PATCH']),
        path: r() < 0.5 ? t.path : item,
        body: malformedBody(r),
        contentType: pick(r, CONTENT_TYPES),
      };
    return {
      method: 'POST',
      path: pick(r, [
        '/api/v1/namespaces/default/configmaps',
        '/api/v1/namespaces',
        '/apis/apps/v1/namespaces/default/deployments',
      ]),
      body: randomProtobuf(r),
      contentType: 'application/vnd.kubernetes.protobuf',
    };
  };
}

/** Sends one fuzz request to `base`; the answer's status and text. */
export async function sendFuzz(base: string, req: FuzzRequest): Promise<{ status: number; text: string }> {
  const res = await fetch(`${base}${req.path}`, {
    method: req.method,
    headers: {
      ...(req.contentType ? { 'content-type': req.contentType } : {}),
      ...(req.accept ? { accept: req.accept } : {}),
    },
    body: req.body && !['GET', 'HEAD'].includes(req.method) ? req.body : undefined,
  });
  return { status: res.status, text: await res.text() };
}
