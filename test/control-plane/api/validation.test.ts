import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningApiServer, startApiServer } from '../../support/api-server.js';

// Issue #19 finding 2: the API accepted (201) a Pod or pod template with `cpu: "1 core"`,
// `tolerations: {}` or node-affinity `values: {}`. Each is now a 422 Invalid Status whose
// details.causes carry Kubernetes' field path and message; what Kubernetes accepts still passes.

let srv: RunningApiServer;
beforeAll(async () => {
  srv = await startApiServer();
});
afterAll(async () => {
  await srv?.stop();
});

interface Status {
  code: number;
  reason: string;
  message: string;
  details?: { kind: string; causes: Array<{ reason: string; message: string; field: string }> };
}

async function post(path: string, body: unknown): Promise<{ status: number; body: Status }> {
  const res = await fetch(`${srv.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Status };
}

const affinity = (values: unknown) => ({
  nodeAffinity: {
    requiredDuringSchedulingIgnoredDuringExecution: {
      nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'In', values }] }],
    },
  },
});

const requiredTerm =
  'affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].values';

/** [case, extra pod-spec fields, container resources, expected cause]. */
const cases: Array<
  [string, Record<string, unknown>, unknown, { reason: string; field: string; message: string }]
> = [
  [
    'cpu "1 core"',
    {},
    { requests: { cpu: '1 core' } },
    {
      reason: 'FieldValueInvalid',
      field: 'containers[0].resources.requests.cpu',
      message:
        'Invalid value: "1 core": quantities must match the regular expression \'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$\'',
    },
  ],
  [
    'tolerations: {}',
    { tolerations: {} },
    undefined,
    {
      reason: 'FieldValueTypeInvalid',
      field: 'tolerations',
      message: 'Invalid value: "object": SPEC.tolerations in body must be of type array: "object"',
    },
  ],
  [
    'node affinity values: {}',
    { affinity: affinity({}) },
    undefined,
    {
      reason: 'FieldValueTypeInvalid',
      field: requiredTerm,
      message: `Invalid value: "object": SPEC.${requiredTerm} in body must be of type array: "object"`,
    },
  ],
];

function podSpec(extra: Record<string, unknown>, resources: unknown) {
  return { containers: [{ name: 'c', image: 'busybox', ...(resources ? { resources } : {}) }], ...extra };
}

describe('validation of pods and pod templates', () => {
  for (const [name, extra, resources, cause] of cases) {
    it(`refuses a Pod with ${name}: 422 with the field and message`, async () => {
      const res = await post('/api/v1/namespaces/default/pods', {
        metadata: { name: 'p' },
        spec: podSpec(extra, resources),
      });
      expect(res.status).toBe(422);
      expect(res.body.reason).toBe('Invalid');
      const want = {
        ...cause,
        field: `spec.${cause.field}`,
        message: cause.message.replace('SPEC.', 'spec.'),
      };
      expect(res.body.details?.causes).toEqual([want]);
      expect(res.body.message).toBe(`Pod "p" is invalid: ${want.field}: ${want.message}`);
    });

    it(`refuses a Deployment whose template has ${name}`, async () => {
      const labels = { app: 'd' };
      const res = await post('/apis/apps/v1/namespaces/default/deployments', {
        metadata: { name: 'd' },
        spec: {
          selector: { matchLabels: labels },
          template: { metadata: { labels }, spec: podSpec(extra, resources) },
        },
      });
      expect(res.status).toBe(422);
      expect(res.body.details?.kind).toBe('Deployment');
      expect(res.body.details?.causes).toEqual([
        {
          ...cause,
          field: `spec.template.spec.${cause.field}`,
          message: cause.message.replace('SPEC.', 'spec.template.spec.'),
        },
      ]);
    });
  }

  it('accepts a full pod spec Kubernetes accepts', async () => {
    const res = await post('/api/v1/namespaces/default/pods', {
      metadata: { name: 'full', labels: { 'app.kubernetes.io/name': 'full' } },
      spec: {
        volumes: [
          { name: 'data', emptyDir: { sizeLimit: '1Gi' } },
          { name: 'cfg', configMap: { name: 'cfg' } },
        ],
        containers: [
          {
            name: 'app',
            image: 'nginx:1.25',
            ports: [
              { name: 'http', containerPort: 80 },
              { containerPort: 53, protocol: 'UDP' },
            ],
            env: [
              { name: 'A', value: '1' },
              { name: 'my.dotted-name', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
            ],
            resources: { requests: { cpu: '250m', memory: '64Mi' }, limits: { cpu: 1, memory: '1e9' } },
            livenessProbe: { httpGet: { path: '/', port: 'http' }, periodSeconds: 5 },
            readinessProbe: { tcpSocket: { port: 80 }, successThreshold: 2 },
            volumeMounts: [{ name: 'data', mountPath: '/data' }],
          },
        ],
        initContainers: [{ name: 'init', image: 'busybox', command: ['true'] }],
        nodeSelector: { 'kubernetes.io/os': 'linux' },
        tolerations: [
          { operator: 'Exists' },
          { key: 'k', operator: 'Equal', value: 'v', effect: 'NoExecute', tolerationSeconds: 30 },
        ],
        affinity: {
          ...affinity(['zone-a', 'zone-b']),
          podAntiAffinity: {
            preferredDuringSchedulingIgnoredDuringExecution: [
              { weight: 100, podAffinityTerm: { topologyKey: 'kubernetes.io/hostname', labelSelector: {} } },
            ],
          },
        },
      },
    });
    expect(res.body.details?.causes).toBeUndefined();
    expect(res.status).toBe(201);
  });
});
