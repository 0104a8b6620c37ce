import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientControllerApi } from '../../../src/control-plane/machinery/client-api.js';
import { resourceTypes } from '../../../src/control-plane/machinery/resources.js';
import { type RunningControlPlane, startControlPlane } from '../../../src/control-plane/main.js';
import type { Deployment } from '../../../src/kube/index.js';
import { freePort } from '../../harness/process.js';
import { makeTestPki, type TestPki } from '../../support/certs.js';
import { adminClient } from '../../support/control-cluster.js';
import { makeDeployment } from '../../support/k8s-objects.js';
import { SimNodes, waitFor } from '../../support/sim-nodes.js';

// The composition root runs the scheduler and controllers against its own API (TLS + loopback token).
describe('startControlPlane with controllers', () => {
  let pki: TestPki;
  let cp: RunningControlPlane;
  let sim: SimNodes;

  beforeAll(async () => {
    pki = makeTestPki();
    const file = (name: string, text: string) => {
      const p = join(pki.dir, name);
      writeFileSync(p, text, { mode: 0o600 });
      return p;
    };
    cp = await startControlPlane({
      listen: `127.0.0.1:${await freePort()}`,
      dataDir: join(pki.dir, 'data'),
      tlsCertFile: file('server.crt', pki.server.cert),
      tlsPrivateKeyFile: file('server.key', pki.server.key),
      clientCaFile: file('ca.crt', pki.ca.cert),
      controllers: { leaderElection: { leaseDurationMs: 2_000, renewDeadlineMs: 1_500, retryPeriodMs: 200 } },
    });
    sim = new SimNodes(clientControllerApi(adminClient(pki, cp.url, 'sim-nodes')), 100);
    await sim.add('node-1', { zone: 'zone-a' });
    sim.start();
  });

  afterAll(async () => {
    sim?.stop();
    await cp?.stop();
    if (pki) rmSync(pki.dir, { recursive: true, force: true });
  });

  it('schedules and reconciles a Deployment created through the API', async () => {
    const api = clientControllerApi(adminClient(pki, cp.url));
    await api.create(resourceTypes.deployments, makeDeployment('web', 2));
    await waitFor(
      'available',
      async () =>
        (await api.get<Deployment>(resourceTypes.deployments, 'default', 'web'))?.status
          ?.availableReplicas === 2,
    );
    const lease = await api.get<{ spec: { holderIdentity?: string } } & Deployment>(
      resourceTypes.leases,
      'kube-system',
      'tugboat-controller-manager',
    );
    expect(lease?.spec.holderIdentity).toMatch(/-\d+$/);
  });
});
