import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ControlLoops, startControllers } from '../../../src/control-plane/controllers/start.js';
import { clientControllerApi } from '../../../src/control-plane/machinery/client-api.js';
import { resourceTypes } from '../../../src/control-plane/machinery/resources.js';
import { createStore } from '../../../src/control-plane/store/index.js';
import type { Store } from '../../../src/control-plane/store/types.js';
import type { Deployment, Lease } from '../../../src/kube/index.js';
import { type EtcdCluster, startEtcd } from '../../harness/etcd.js';
import { type RunningApiServer, startApiServer } from '../../support/api-server.js';
import { makeTestPki, type TestPki } from '../../support/certs.js';
import { adminClient } from '../../support/control-cluster.js';
import { makeDeployment } from '../../support/k8s-objects.js';
import { SimNodes, waitFor } from '../../support/sim-nodes.js';

// Two control-plane instances (API server + scheduler/controllers) on one etcd: only the Lease
// holder runs the loops; when the leader's instance dies, the standby takes over.
describe('leader election across two control planes on one etcd', () => {
  let pki: TestPki;
  let etcd: EtcdCluster;
  const stores: Store[] = [];
  const servers: RunningApiServer[] = [];
  const loops: ControlLoops[] = [];
  let sim: SimNodes;
  const timing = { leaseDurationMs: 2_000, renewDeadlineMs: 1_500, retryPeriodMs: 250 };

  beforeAll(async () => {
    pki = makeTestPki();
    etcd = await startEtcd();
    for (let i = 0; i < 2; i++) {
      const store = await createStore({ kind: 'etcd', endpoints: etcd.endpoints, retryTimeoutMs: 2_000 });
      stores.push(store);
      servers.push(
        await startApiServer({
          store,
          tls: { cert: pki.server.cert, key: pki.server.key, clientCa: pki.ca.cert },
        }),
      );
    }
    sim = new SimNodes(clientControllerApi(adminClient(pki, servers[1]!.url, 'sim-nodes')), 100);
    for (const zone of ['zone-a', 'zone-b']) await sim.add(`node-${zone}`, { zone });
    sim.start();
  });

  afterAll(async () => {
    sim?.stop();
    for (const l of loops) await l.stop();
    for (const s of servers) await s.stop();
    for (const s of stores) await s.close();
    await etcd?.stop();
    if (pki) rmSync(pki.dir, { recursive: true, force: true });
  });

  it('runs the loops only on the holder and hands over when the leader dies', async () => {
    const apiA = clientControllerApi(adminClient(pki, servers[0]!.url));
    const apiB = clientControllerApi(adminClient(pki, servers[1]!.url));
    const a = startControllers({ api: apiA, identity: 'cp-a', leaderElection: timing });
    loops.push(a);
    await waitFor('a leads', async () => a.isLeader());
    const b = startControllers({ api: apiB, identity: 'cp-b', leaderElection: timing });
    loops.push(b);
    await apiB.create(resourceTypes.deployments, makeDeployment('first', 2));
    await waitFor(
      'first available',
      async () =>
        (await apiB.get<Deployment>(resourceTypes.deployments, 'default', 'first'))?.status
          ?.availableReplicas === 2,
    );
    expect(b.isLeader()).toBe(false);

    // The leader's whole instance dies: its API server goes away, so it can no longer renew.
    await servers[0]!.stop();
    await waitFor('b takes over', async () => b.isLeader(), 20_000);
    await waitFor('a stepped down', async () => !a.isLeader(), 20_000);
    const lease = await apiB.get<Lease>(resourceTypes.leases, 'kube-system', 'tugboat-controller-manager');
    expect(lease?.spec.holderIdentity).toBe('cp-b');
    expect(lease?.spec.leaseTransitions).toBe(1);

    await apiB.create(resourceTypes.deployments, makeDeployment('second', 2));
    await waitFor(
      'second available under the new leader',
      async () =>
        (await apiB.get<Deployment>(resourceTypes.deployments, 'default', 'second'))?.status
          ?.availableReplicas === 2,
    );
  });
});
