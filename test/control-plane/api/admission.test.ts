import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadServiceAccountKeys } from '../../../src/control-plane/serviceaccounts/keys.js';
import { generateServiceAccountKeyPem } from '../../../src/pki/service-account-key.js';
import { type RunningApiServer, startApiServer } from '../../support/api-server.js';
import { jsonCaller } from '../../support/json-call.js';

// The admission chain against a real API server over HTTP: NamespaceLifecycle, LimitRanger and
// ResourceQuota, with kube-apiserver's codes and messages.
let srv: RunningApiServer;

const call = jsonCaller(() => srv.url);

type Resources = { requests?: Record<string, string>; limits?: Record<string, string> };
const pod = (name: string, resources?: Resources, extra: Record<string, unknown> = {}) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name },
  spec: { containers: [{ name: 'main', image: 'busybox', ...(resources ? { resources } : {}) }], ...extra },
});
const ns = async (name: string) =>
  expect((await call('POST', '/api/v1/namespaces', { metadata: { name } })).status).toBe(201);

beforeAll(async () => {
  srv = await startApiServer();
});
afterAll(async () => {
  await srv?.stop();
});

describe('namespace lifecycle', () => {
  it('refuses content in a terminating namespace (403 NamespaceTerminating) and a missing one (404)', async () => {
    const created = await call('POST', '/api/v1/namespaces', {
      metadata: { name: 'adm-term', finalizers: ['example.com/hold'] },
    });
    expect(created.status).toBe(201);
    expect((await call('DELETE', '/api/v1/namespaces/adm-term')).status).toBe(200);
    const refused = await call('POST', '/api/v1/namespaces/adm-term/configmaps', { metadata: { name: 'c' } });
    expect(refused.status).toBe(403);
    expect(refused.body.reason).toBe('Forbidden');
    expect(refused.body.message).toBe(
      'configmaps "c" is forbidden: unable to create new content in namespace adm-term because it is being terminated',
    );
    expect(refused.body.details.causes).toEqual([
      {
        reason: 'NamespaceTerminating',
        message: 'namespace adm-term is being terminated',
        field: 'metadata.namespace',
      },
    ]);
    const missing = await call('POST', '/api/v1/namespaces/adm-nowhere/pods', pod('p'));
    expect(missing.status).toBe(404);
    expect(missing.body.message).toBe('namespaces "adm-nowhere" not found');
  });

  it('runs NamespaceLifecycle before ServiceAccount admission, which defaults the account', async () => {
    const keys = loadServiceAccountKeys({ pem: generateServiceAccountKeyPem(), source: 'test' });
    const withTokens = await startApiServer({
      serviceAccounts: { keys, issuer: 'https://kubernetes.default.svc' },
    });
    try {
      const callTokens = jsonCaller(() => withTokens.url);
      const missing = await callTokens('POST', '/api/v1/namespaces/adm-sa-nowhere/pods', pod('p'));
      expect(missing.status).toBe(404);
      expect(missing.body.message).toBe('namespaces "adm-sa-nowhere" not found');
      const created = await callTokens('POST', '/api/v1/namespaces/default/pods', pod('p'));
      expect(created.body.spec.serviceAccountName).toBe('default');
    } finally {
      await withTokens.stop();
    }
    // Without token signing the account is still defaulted (only the token volume is not mounted).
    const plain = await call('POST', '/api/v1/namespaces/default/pods', pod('adm-sa-plain'));
    expect(plain.status).toBe(201);
    expect(plain.body.spec.serviceAccountName).toBe('default');
    expect(plain.body.spec.volumes).toBeUndefined();
  });

  it('never deletes the system namespaces', async () => {
    for (const name of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) {
      const res = await call('DELETE', `/api/v1/namespaces/${name}`);
      expect(res.status).toBe(403);
      expect(res.body.message).toBe(`namespaces "${name}" is forbidden: this namespace may not be deleted`);
    }
  });
});

describe('LimitRange', () => {
  const range = (name: string, limits: unknown[]) => ({ metadata: { name }, spec: { limits } });

  it('validates as upstream and fills Container defaults into the range', async () => {
    await ns('adm-lr-valid');
    const bad = await call(
      'POST',
      '/api/v1/namespaces/adm-lr-valid/limitranges',
      range('bad', [
        { type: 'Container', min: { cpu: '2' }, max: { cpu: '1' } },
        { type: 'Pod', default: { cpu: '1' } },
        { type: 'PersistentVolumeClaim', max: { cpu: '1' } },
        { type: 'Container', maxLimitRequestRatio: { memory: '500m' }, min: { memory: 'lots' } },
      ]),
    );
    expect(bad.status).toBe(422);
    const msg = bad.body.message as string;
    expect(msg).toContain(
      'spec.limits[0].min[cpu]: Invalid value: "2": min value 2 is greater than max value 1',
    );
    expect(msg).toContain("spec.limits[1].default: Forbidden: may not be specified when `type` is 'Pod'");
    expect(msg).toContain(
      'spec.limits[2].limits: Required value: either minimum or maximum storage value is required, but neither was provided',
    );
    expect(msg).toContain('spec.limits[3].type: Duplicate value: "Container"');
    expect(msg).toContain(
      'spec.limits[3].maxLimitRequestRatio[memory]: Invalid value: "500m": ratio must be greater than or equal to 1',
    );
    expect(msg).toContain('spec.limits[3].min[memory]: Invalid value: "lots"');
    const ok = await call(
      'POST',
      '/api/v1/namespaces/adm-lr-valid/limitranges',
      range('ok', [{ type: 'Container', max: { cpu: '2' }, min: { memory: '64Mi' } }]),
    );
    expect(ok.status).toBe(201);
    expect(ok.body.spec.limits[0].default).toEqual({ cpu: '2' });
    expect(ok.body.spec.limits[0].defaultRequest).toEqual({ cpu: '2', memory: '64Mi' });
  });

  it('defaults container requests and limits and says so in the annotation', async () => {
    await ns('adm-lr');
    const created = await call(
      'POST',
      '/api/v1/namespaces/adm-lr/limitranges',
      range('defaults', [
        {
          type: 'Container',
          default: { cpu: '500m', memory: '128Mi' },
          defaultRequest: { cpu: '100m' },
          max: { cpu: '1' },
        },
      ]),
    );
    expect(created.status).toBe(201);
    const p = await call('POST', '/api/v1/namespaces/adm-lr/pods', {
      ...pod('d', { limits: { memory: '64Mi' } }),
      spec: {
        initContainers: [{ name: 'init', image: 'busybox' }],
        containers: [{ name: 'main', image: 'busybox', resources: { limits: { memory: '64Mi' } } }],
      },
    });
    expect(p.status).toBe(201);
    expect(p.body.spec.containers[0].resources).toEqual({
      limits: { memory: '64Mi', cpu: '500m' },
      requests: { memory: '64Mi', cpu: '100m' },
    });
    expect(p.body.spec.initContainers[0].resources).toEqual({
      limits: { cpu: '500m', memory: '128Mi' },
      // The range's defaultRequest took memory from its default (SetDefaults_LimitRange).
      requests: { cpu: '100m', memory: '128Mi' },
    });
    expect(p.body.metadata.annotations['kubernetes.io/limit-ranger']).toBe(
      'LimitRanger plugin set: cpu, memory request for init container init; cpu, memory limit for init container init; cpu request for container main; cpu limit for container main',
    );
  });

  it('refuses containers, pods and claims outside the bounds with upstream messages', async () => {
    await ns('adm-lr-bounds');
    const r = await call(
      'POST',
      '/api/v1/namespaces/adm-lr-bounds/limitranges',
      range('bounds', [
        {
          type: 'Container',
          max: { cpu: '1' },
          min: { memory: '32Mi' },
          maxLimitRequestRatio: { memory: '2' },
        },
        { type: 'Pod', max: { memory: '1Gi' } },
        { type: 'PersistentVolumeClaim', min: { storage: '1Gi' }, max: { storage: '10Gi' } },
      ]),
    );
    expect(r.status).toBe(201);
    const tooBig = await call(
      'POST',
      '/api/v1/namespaces/adm-lr-bounds/pods',
      pod('big', { limits: { cpu: '2', memory: '64Mi' }, requests: { cpu: '2', memory: '64Mi' } }),
    );
    expect(tooBig.status).toBe(403);
    expect(tooBig.body.message).toBe(
      'pods "big" is forbidden: maximum cpu usage per Container is 1, but limit is 2',
    );
    const ratio = await call(
      'POST',
      '/api/v1/namespaces/adm-lr-bounds/pods',
      pod('bursty', { limits: { cpu: '1', memory: '256Mi' }, requests: { memory: '64Mi' } }),
    );
    expect(ratio.status).toBe(403);
    expect(ratio.body.message).toBe(
      'pods "bursty" is forbidden: memory max limit to request ratio per Container is 2, but provided ratio is 4.000000',
    );
    const sum = await call('POST', '/api/v1/namespaces/adm-lr-bounds/pods', {
      ...pod('sum'),
      spec: {
        containers: ['a', 'b'].map((name) => ({
          name,
          image: 'busybox',
          resources: { limits: { cpu: '1', memory: '600Mi' }, requests: { memory: '400Mi' } },
        })),
      },
    });
    expect(sum.status).toBe(403);
    expect(sum.body.message).toBe(
      'pods "sum" is forbidden: maximum memory usage per Pod is 1Gi, but limit is 1200Mi',
    );
    const claim = (name: string, size: string) => ({
      metadata: { name },
      spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: size } } },
    });
    const small = await call(
      'POST',
      '/api/v1/namespaces/adm-lr-bounds/persistentvolumeclaims',
      claim('small', '500Mi'),
    );
    expect(small.status).toBe(403);
    expect(small.body.message).toBe(
      'persistentvolumeclaims "small" is forbidden: minimum storage usage per PersistentVolumeClaim is 1Gi, but request is 500Mi',
    );
    const fits = await call(
      'POST',
      '/api/v1/namespaces/adm-lr-bounds/persistentvolumeclaims',
      claim('fits', '2Gi'),
    );
    expect(fits.status).toBe(201);
    const fine = await call(
      'POST',
      '/api/v1/namespaces/adm-lr-bounds/pods',
      pod('fine', { limits: { cpu: '1', memory: '64Mi' }, requests: { memory: '32Mi' } }),
    );
    expect(fine.status).toBe(201);
  });

  it('takes hostile quantities without a 500', async () => {
    await ns('adm-lr-odd');
    const huge = await call(
      'POST',
      '/api/v1/namespaces/adm-lr-odd/limitranges',
      range('huge', [{ type: 'Container', max: { cpu: '1e999999', memory: '9999999999999999999Ei' } }]),
    );
    expect(huge.body.message).toBeUndefined();
    expect(huge.status).toBe(201);
    const p = await call(
      'POST',
      '/api/v1/namespaces/adm-lr-odd/pods',
      pod('p', { limits: { cpu: '1e30', memory: '1Gi' } }),
    );
    expect(p.status).toBe(201);
    const neg = await call(
      'POST',
      '/api/v1/namespaces/adm-lr-odd/limitranges',
      range('neg', [{ type: 'Container', max: { cpu: '-1' }, min: { cpu: { x: 1 } } }]),
    );
    expect(neg.status).toBe(422);
    expect(neg.body.message).toContain(
      'spec.limits[0].max[cpu]: Invalid value: "-1": must be greater than or equal to 0',
    );
  });
});
