import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeKubeconfig } from '../../support/api-server.js';
import { makeTestPki, type TestPki } from '../../support/certs.js';
import {
  type ControlCluster,
  type KubectlRun,
  runKubectl,
  startControlCluster,
} from '../../support/control-cluster.js';
import { waitFor } from '../../support/sim-nodes.js';

// ResourceQuota and LimitRange with real kubectl 1.30 and 1.33 (picked by the reported minor)
// against the API server and the quota controller.
describe.each(['30', '33'])('quotas and limit ranges with kubectl 1.%s', (minor) => {
  let pki: TestPki;
  let c: ControlCluster;
  let env: NodeJS.ProcessEnv;
  const ns = `adm-kubectl-${minor}`;
  const dir = mkdtempSync(join(tmpdir(), `tugboat-admission-kubectl-${minor}-`));
  const kubectl = (...args: string[]): Promise<KubectlRun> => runKubectl(env, ['-n', ns, ...args]);
  const ok = async (...args: string[]) => {
    const r = await kubectl(...args);
    expect(r.code, `kubectl ${args.join(' ')}: ${r.stderr}`).toBe(0);
    return r.stdout;
  };
  const apply = (name: string, text: string) => {
    const file = join(dir, `${name}.yaml`);
    writeFileSync(file, text);
    return kubectl('apply', '-f', file);
  };

  beforeAll(async () => {
    pki = makeTestPki();
    c = await startControlCluster(pki, undefined, { minorVersion: minor });
    env = {
      PATH: process.env.PATH,
      HOME: pki.dir,
      KUBECONFIG: writeKubeconfig(pki, c.server.url, pki.client('admin', ['system:masters'])),
    };
    c.startLoops();
    expect((await runKubectl(env, ['create', 'namespace', ns])).code).toBe(0);
  });
  afterAll(async () => {
    await c?.stop();
    if (pki) rmSync(pki.dir, { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
  });

  it('creates a quota, refuses the pod over it with kubectl printing the reason, and releases on delete', async () => {
    await ok('create', 'quota', 'q', '--hard=pods=2,requests.cpu=1,limits.memory=1Gi,configmaps=5');
    const resources = 'resources: {requests: {cpu: 300m}, limits: {memory: 256Mi}}';
    const pod = (name: string) => `apiVersion: v1
kind: Pod
metadata: {name: ${name}}
spec:
  containers: [{name: main, image: busybox, ${resources}}]
`;
    expect((await apply('p1', pod('p1'))).code).toBe(0);
    expect((await apply('p2', pod('p2'))).code).toBe(0);
    const refused = await apply('p3', pod('p3'));
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('Error from server (Forbidden): error when creating');
    expect(refused.stderr).toContain(
      'pods "p3" is forbidden: exceeded quota: q, requested: pods=1, used: pods=2, limited: pods=2',
    );
    const bare = await kubectl('run', 'bare', '--image=busybox', '--restart=Never');
    expect(bare.stderr).toContain(
      'pods "bare" is forbidden: failed quota: q: must specify limits.memory for: bare',
    );
    const table = await waitFor('the controller fills status', async () => {
      const out = await ok('get', 'quota');
      return out.includes('pods: 2/2') ? out : undefined;
    });
    expect(table.split('\n')[0]).toMatch(/^NAME\s+AGE\s+REQUEST\s+LIMIT$/);
    expect(table).toMatch(
      /q\s+\d+s\s+configmaps: \d\/5, pods: 2\/2, requests\.cpu: 600m\/1\s+limits\.memory: 512Mi\/1Gi/,
    );
    const described = await ok('describe', 'quota', 'q');
    expect(described).toMatch(/Resource\s+Used\s+Hard/);
    expect(described).toMatch(/pods\s+2\s+2/);
    expect(described).toMatch(/requests\.cpu\s+600m\s+1/);
    await ok('delete', 'pod', 'p1', '--wait=false');
    await waitFor('the controller releases the deleted pod', async () => {
      const out = await ok('get', 'quota', 'q', '-o', 'jsonpath={.status.used.pods}');
      return out === '1' ? out : undefined;
    });
    expect((await apply('p3', pod('p3'))).code).toBe(0);
  });

  it('shows LimitRange defaults in the pod and describes the range', async () => {
    const created = await apply(
      'limits',
      `apiVersion: v1
kind: LimitRange
metadata: {name: limits}
spec:
  limits:
  - type: Container
    default: {cpu: 200m, memory: 128Mi}
    defaultRequest: {cpu: 100m, memory: 64Mi}
    max: {cpu: '1'}
`,
    );
    expect(created.code, created.stderr).toBe(0);
    const table = await ok('get', 'limits');
    expect(table.split('\n')[0]).toMatch(/^NAME\s+CREATED AT$/);
    expect(table).toMatch(/limits\s+\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ/);
    const described = await ok('describe', 'limits', 'limits');
    expect(described).toMatch(/Container\s+cpu\s+-\s+1\s+100m\s+200m\s+-/);
    // The namespace quota limits memory and cpu: the range's defaults make a bare pod pass it.
    await ok('delete', 'quota', 'q');
    await ok('run', 'defaulted', '--image=busybox', '--restart=Never');
    const yaml = await ok('get', 'pod', 'defaulted', '-o', 'yaml');
    expect(yaml).toContain('kubernetes.io/limit-ranger:');
    expect(
      await ok(
        'get',
        'pod',
        'defaulted',
        '-o',
        'jsonpath={.metadata.annotations.kubernetes\\.io/limit-ranger}',
      ),
    ).toBe(
      'LimitRanger plugin set: cpu, memory request for container defaulted; cpu, memory limit for container defaulted',
    );
    expect(yaml).toMatch(
      /limits:\n\s+cpu: 200m\n\s+memory: 128Mi\n\s+requests:\n\s+cpu: 100m\n\s+memory: 64Mi/,
    );
    const big = await kubectl(
      'run',
      'big',
      '--image=busybox',
      '--restart=Never',
      '--overrides',
      JSON.stringify({
        spec: { containers: [{ name: 'big', image: 'busybox', resources: { limits: { cpu: '2' } } }] },
      }),
    );
    expect(big.code).not.toBe(0);
    expect(big.stderr).toContain(
      'pods "big" is forbidden: maximum cpu usage per Container is 1, but limit is 2',
    );
  });
});
