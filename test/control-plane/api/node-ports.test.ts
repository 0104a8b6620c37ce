import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStore } from '../../../src/control-plane/store/index.js';
import type { Store } from '../../../src/control-plane/store/types.js';
import { type RunningApiServer, startApiServer, writeKubeconfig } from '../../support/api-server.js';
import { makeTestPki, type TestPki } from '../../support/certs.js';
import { jsonCaller } from '../../support/json-call.js';

const SVC = '/api/v1/namespaces/default/services';

let dataDir: string;
let store: Store;
let srv: RunningApiServer;

const call = jsonCaller(() => srv.url);

const service = (name: string, type: string, ports: Record<string, unknown>[]) => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name },
  spec: { type, selector: { app: name }, ports },
});

const nodePorts = (svc: { spec: { ports: { nodePort?: number }[] } }) =>
  svc.spec.ports.map((p) => p.nodePort);

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), `tugboat-node-ports-${process.pid}-`));
  store = await createStore({ kind: 'embedded', dataDir });
  srv = await startApiServer({ store });
});
afterAll(async () => {
  await srv?.stop();
  await store?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('node port allocation', () => {
  it('gives each port of a NodePort or LoadBalancer Service its own port of 30000-32767', async () => {
    const np = await call(
      'POST',
      SVC,
      service('np', 'NodePort', [
        { name: 'http', port: 80 },
        { name: 'https', port: 443 },
      ]),
    );
    expect(np.status).toBe(201);
    const lb = await call('POST', SVC, service('lb', 'LoadBalancer', [{ port: 8080, nodePort: null }]));
    expect(lb.status).toBe(201);
    const all = [...nodePorts(np.body), ...nodePorts(lb.body)];
    for (const p of all) expect(p).toBeGreaterThanOrEqual(30000);
    for (const p of all) expect(p).toBeLessThanOrEqual(32767);
    expect(new Set(all).size).toBe(3);
    const plain = await call('POST', SVC, service('plain', 'ClusterIP', [{ port: 80 }]));
    expect(nodePorts(plain.body)).toEqual([undefined]);
  });

  it('refuses a port outside the range, a taken one, a duplicate, and one on a ClusterIP Service', async () => {
    const out = await call('POST', SVC, service('out', 'NodePort', [{ port: 80, nodePort: 80 }]));
    expect(out.status).toBe(422);
    expect(out.body.reason).toBe('Invalid');
    expect(out.body.message).toBe(
      'Service "out" is invalid: spec.ports[0].nodePort: Invalid value: 80: provided port is not in the valid range. The range of valid ports is 30000-32767',
    );
    expect(out.body.details.causes[0].field).toBe('spec.ports[0].nodePort');

    const held = nodePorts((await call('GET', `${SVC}/np`)).body)[0];
    const taken = await call('POST', SVC, service('taken', 'NodePort', [{ port: 80, nodePort: held }]));
    expect(taken.status).toBe(422);
    expect(taken.body.message).toBe(
      `Service "taken" is invalid: spec.ports[0].nodePort: Invalid value: ${held}: provided port is already allocated`,
    );

    const dup = await call(
      'POST',
      SVC,
      service('dup', 'NodePort', [
        { name: 'a', port: 80, nodePort: 31999 },
        { name: 'b', port: 81, nodePort: 31999 },
      ]),
    );
    expect(dup.status).toBe(422);
    expect(dup.body.message).toBe('Service "dup" is invalid: spec.ports[1].nodePort: Duplicate value: 31999');

    const cip = await call('POST', SVC, service('cip', 'ClusterIP', [{ port: 80, nodePort: 31998 }]));
    expect(cip.status).toBe(422);
    expect(cip.body.message).toBe(
      'Service "cip" is invalid: spec.ports[0].nodePort: Forbidden: may not be used when `type` is \'ClusterIP\'',
    );
    for (const name of ['out', 'taken', 'dup', 'cip'])
      expect((await call('GET', `${SVC}/${name}`)).status).toBe(404);
  });

  it('keeps the ports on a PUT that leaves them out, and takes a chosen free one', async () => {
    const before = (await call('GET', `${SVC}/np`)).body;
    expect(nodePorts(before).every((p: number | undefined) => p !== undefined)).toBe(true);
    const put = await call('PUT', `${SVC}/np`, {
      ...before,
      spec: {
        ...before.spec,
        ports: before.spec.ports.map(({ nodePort: _, ...p }: object & { nodePort: number }) => p),
      },
    });
    expect(put.status).toBe(200);
    expect(nodePorts(put.body)).toEqual(nodePorts(before));

    const chosen = await call('POST', SVC, service('chosen', 'NodePort', [{ port: 80, nodePort: 32767 }]));
    expect(chosen.status).toBe(201);
    expect(nodePorts(chosen.body)).toEqual([32767]);
  });

  it('rebuilds the allocation from the stored Services after a restart', async () => {
    await srv.stop();
    srv = await startApiServer({ store });
    const again = await call('POST', SVC, service('again', 'NodePort', [{ port: 80, nodePort: 32767 }]));
    expect(again.status).toBe(422);
    expect(again.body.message).toContain('Invalid value: 32767: provided port is already allocated');
  });

  it('releases the ports on delete and on a change to ClusterIP', async () => {
    expect((await call('DELETE', `${SVC}/chosen`)).status).toBe(200);
    const reuse = await call('POST', SVC, service('reuse', 'NodePort', [{ port: 80, nodePort: 32767 }]));
    expect(reuse.status).toBe(201);

    const lb = (await call('GET', `${SVC}/lb`)).body;
    const held = nodePorts(lb)[0];
    const changed = await call('PUT', `${SVC}/lb`, { ...lb, spec: { ...lb.spec, type: 'ClusterIP' } });
    expect(changed.status).toBe(200);
    expect(nodePorts(changed.body)).toEqual([undefined]);
    const takeOver = await call(
      'POST',
      SVC,
      service('take-over', 'NodePort', [{ port: 80, nodePort: held }]),
    );
    expect(takeOver.status).toBe(201);
  });
});

describe('health check node port (externalTrafficPolicy: Local)', () => {
  const local = (name: string, extra: Record<string, unknown> = {}) => {
    const s = service(name, 'LoadBalancer', [{ port: 80 }]);
    return { ...s, spec: { ...s.spec, externalTrafficPolicy: 'Local', ...extra } };
  };

  it('allocates one from the node port range, distinct from the node ports, and keeps it on a PUT', async () => {
    const made = await call('POST', SVC, local('hc-local'));
    expect(made.status).toBe(201);
    const hc = made.body.spec.healthCheckNodePort as number;
    expect(hc).toBeGreaterThanOrEqual(30000);
    expect(hc).toBeLessThanOrEqual(32767);
    expect(nodePorts(made.body)).not.toContain(hc);
    const { healthCheckNodePort: _, ...spec } = made.body.spec;
    const put = await call('PUT', `${SVC}/hc-local`, { ...made.body, spec });
    expect(put.status).toBe(200);
    expect(put.body.spec.healthCheckNodePort).toBe(hc);
    const moved = await call('PUT', `${SVC}/hc-local`, {
      ...put.body,
      spec: { ...put.body.spec, healthCheckNodePort: hc === 32000 ? 32001 : 32000 },
    });
    expect(moved.status).toBe(422);
    expect(moved.body.message).toBe(
      'Service "hc-local" is invalid: spec.healthCheckNodePort: Forbidden: field is immutable',
    );
    const taken = await call('POST', SVC, service('hc-taken', 'NodePort', [{ port: 80, nodePort: hc }]));
    expect(taken.status).toBe(422);
    expect(taken.body.message).toContain(`Invalid value: ${hc}: provided port is already allocated`);
  });

  it('takes a requested free port, refuses one out of range, and frees it with the Cluster policy', async () => {
    const chosen = await call('POST', SVC, local('hc-chosen', { healthCheckNodePort: 32100 }));
    expect(chosen.status).toBe(201);
    expect(chosen.body.spec.healthCheckNodePort).toBe(32100);
    const out = await call('POST', SVC, local('hc-out', { healthCheckNodePort: 8080 }));
    expect(out.status).toBe(422);
    expect(out.body.message).toBe(
      'Service "hc-out" is invalid: spec.healthCheckNodePort: Invalid value: 8080: provided port is not in the valid range. The range of valid ports is 30000-32767',
    );
    const wrong = await call(
      'POST',
      SVC,
      local('hc-wrong', { externalTrafficPolicy: 'Cluster', healthCheckNodePort: 32101 }),
    );
    expect(wrong.status).toBe(422);
    expect(wrong.body.details.causes[0].field).toBe('spec.healthCheckNodePort');

    const cluster = await call('PUT', `${SVC}/hc-chosen`, {
      ...chosen.body,
      spec: { ...chosen.body.spec, externalTrafficPolicy: 'Cluster' },
    });
    expect(cluster.status).toBe(200);
    expect(cluster.body.spec.healthCheckNodePort).toBeUndefined();
    const reuse = await call('POST', SVC, service('hc-reuse', 'NodePort', [{ port: 80, nodePort: 32100 }]));
    expect(reuse.status).toBe(201);
  });
});

describe('kubectl create service nodeport', () => {
  let pki: TestPki;
  let tls: RunningApiServer;

  beforeAll(async () => {
    pki = makeTestPki();
    tls = await startApiServer({
      tls: { cert: pki.server.cert, key: pki.server.key, clientCa: pki.ca.cert },
    });
  });
  afterAll(async () => {
    await tls?.stop();
    if (pki) rmSync(pki.dir, { recursive: true, force: true });
  });

  const kubectl = (args: readonly string[]) => {
    const kubeconfig = writeKubeconfig(pki, tls.url, pki.client('admin', ['system:masters']));
    const env = { PATH: process.env.PATH, HOME: pki.dir, KUBECONFIG: kubeconfig };
    return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile('kubectl', [...args], { env, timeout: 60_000 }, (err, stdout, stderr) =>
        resolve({ code: err ? 1 : 0, stdout, stderr }),
      );
    });
  };

  it('allocates a node port, and refuses one out of range with the Kubernetes message', async () => {
    const made = await kubectl(['create', 'service', 'nodeport', 'web', '--tcp=80:8080']);
    expect(made.stderr).toBe('');
    expect(made.stdout).toContain('service/web created');
    const got = await kubectl(['get', 'service', 'web', '-o', 'jsonpath={.spec.ports[0].nodePort}']);
    expect(Number(got.stdout)).toBeGreaterThanOrEqual(30000);
    expect(Number(got.stdout)).toBeLessThanOrEqual(32767);

    const bad = await kubectl(['create', 'service', 'nodeport', 'bad', '--tcp=80:8080', '--node-port=80']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain(
      'spec.ports[0].nodePort: Invalid value: 80: provided port is not in the valid range. The range of valid ports is 30000-32767',
    );
  });
});
