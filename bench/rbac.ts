/**
 * RBAC cost: the evaluator alone (decisions/s, p99) and GETs through the API server over TLS with
 * 1,000 RoleBindings/ClusterRoleBindings stored, as a bound user (RBAC evaluated) vs as
 * system:masters (the superuser short-cut, i.e. authorization off).
 * Usage: npx tsx bench/rbac.ts [bindings=1000] [requests=3000] [concurrency=20]
 */
import https from 'node:https';
import { performance } from 'node:perf_hooks';
import { PolicyIndex } from '../src/control-plane/rbac/policy-index.js';
import { startApiServer } from '../test/support/api-server.js';
import { makeTestPki, type TestCert } from '../test/support/certs.js';
import { pct } from './support/stats.js';

const bindings = Number(process.argv[2] ?? 1000);
const requests = Number(process.argv[3] ?? 3000);
const concurrency = Number(process.argv[4] ?? 20);

function evaluator(): void {
  const index = new PolicyIndex();
  for (let i = 0; i < 50; i++)
    index.set('clusterroles', undefined, `role-${i}`, {
      rules: [{ verbs: ['get', 'list'], apiGroups: ['', 'apps'], resources: [`kind${i}`, 'pods'] }],
    });
  for (let i = 0; i < bindings; i++) {
    const ns = `ns-${i % 100}`;
    index.set('rolebindings', ns, `rb-${i}`, {
      metadata: { name: `rb-${i}` },
      roleRef: { kind: 'ClusterRole', name: `role-${i % 50}` },
      subjects: [
        { kind: 'User', name: `user-${i}` },
        { kind: 'Group', name: `group-${i % 20}` },
      ],
    });
  }
  const times: number[] = [];
  const t0 = performance.now();
  let allowed = 0;
  for (let i = 0; i < 200_000; i++) {
    const s = performance.now();
    const ok = index.allows(
      { name: `user-${i % bindings}`, groups: [`group-${i % 20}`, 'system:authenticated'] },
      {
        resourceRequest: true,
        verb: 'get',
        group: '',
        resource: 'pods',
        subresource: undefined,
        namespace: `ns-${i % 100}`,
        name: 'p',
      },
    );
    times.push(performance.now() - s);
    if (ok) allowed++;
  }
  const total = performance.now() - t0;
  console.log(
    `evaluator, ${bindings} bindings: ${Math.round(200_000 / (total / 1000))} decisions/s, p50 ${(pct(times, 50) * 1000).toFixed(1)} µs, p99 ${(pct(times, 99) * 1000).toFixed(1)} µs (${allowed} allowed)`,
  );
}

async function overHttp(): Promise<void> {
  const pki = makeTestPki();
  const srv = await startApiServer({
    tls: { cert: pki.server.cert, key: pki.server.key, clientCa: pki.ca.cert },
  });
  const admin = pki.client('admin', ['system:masters']);
  const user = pki.client('user-7', ['group-7']);
  const agent = new https.Agent({ keepAlive: true, maxSockets: concurrency });
  const call = (cert: TestCert, method: string, path: string, body?: unknown) =>
    new Promise<number>((resolve, reject) => {
      const req = https.request(
        `${srv.url}${path}`,
        {
          method,
          agent,
          ca: pki.ca.cert,
          cert: cert.cert,
          key: cert.key,
          headers: body ? { 'content-type': 'application/json' } : {},
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        },
      );
      req.on('error', reject);
      req.end(body ? JSON.stringify(body) : undefined);
    });
  const rbac = '/apis/rbac.authorization.k8s.io/v1';
  await call(admin, 'POST', '/api/v1/namespaces', { metadata: { name: 'bench' } });
  await call(admin, 'POST', `${rbac}/clusterroles`, {
    metadata: { name: 'pod-reader' },
    rules: [{ verbs: ['get', 'list'], apiGroups: [''], resources: ['pods'] }],
  });
  const t0 = performance.now();
  for (let i = 0; i < bindings; i += 20) {
    await Promise.all(
      Array.from({ length: Math.min(20, bindings - i) }, (_, j) => {
        const k = i + j;
        const crb = k % 10 === 0;
        return call(
          admin,
          'POST',
          crb ? `${rbac}/clusterrolebindings` : `${rbac}/namespaces/bench/rolebindings`,
          {
            metadata: { name: `b-${k}` },
            roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'pod-reader' },
            subjects: [
              { kind: 'User', name: `user-${k}` },
              { kind: 'Group', name: `other-${k}` },
            ],
          },
        );
      }),
    );
  }
  console.log(`created ${bindings} bindings in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const podGet = { method: 'GET', path: '/api/v1/namespaces/bench/pods/missing', expect: 404 };
  const run = async (
    label: string,
    cert: TestCert,
    req: { method: string; path: string; body?: (i: number) => unknown; expect: number } = podGet,
  ) => {
    const times: number[] = [];
    let next = 0;
    const start = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < requests) {
          const i = next++;
          const s = performance.now();
          const code = await call(cert, req.method, req.path, req.body?.(i));
          if (code !== req.expect) throw new Error(`${label}: expected ${req.expect}, got ${code}`);
          times.push(performance.now() - s);
        }
      }),
    );
    const secs = (performance.now() - start) / 1000;
    console.log(
      `${label}: ${Math.round(requests / secs)} req/s, p50 ${pct(times, 50).toFixed(1)} ms, p99 ${pct(times, 99).toFixed(1)} ms`,
    );
  };
  // Each client certificate has its own keep-alive pool: warm both, so no round pays handshakes.
  await run('warm-up off', admin);
  await run('warm-up on', user);
  // SubjectAccessReviews for users spread over the 1,000 bindings (what webhooks and proxies send).
  const review = {
    method: 'POST',
    path: '/apis/authorization.k8s.io/v1/subjectaccessreviews',
    body: (i: number) => ({
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SubjectAccessReview',
      spec: {
        user: `user-${i % bindings}`,
        groups: [`group-${i % 20}`],
        resourceAttributes: { namespace: 'bench', verb: 'get', resource: 'pods' },
      },
    }),
    expect: 201,
  };
  for (let round = 0; round < 3; round++) {
    await run('authz off (system:masters)', admin);
    await run('authz on (RBAC, bound user)', user);
    await run('SubjectAccessReview (system:masters asks)', admin, review);
  }
  agent.destroy();
  await srv.stop();
}

evaluator();
await overHttp();
