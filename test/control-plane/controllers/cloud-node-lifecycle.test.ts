import { rmSync } from 'node:fs';
import { type EC2Client, TerminateInstancesCommand } from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { createEipClaimEc2 } from '../../../src/aws/eip-claim.js';
import { ec2InstanceVerifier } from '../../../src/aws/instance-verifier.js';
import { resources } from '../../../src/client/types.js';
import type { KubeObject, Lease, Node, Pod } from '../../../src/kube/index.js';
import { type Moto, startMoto } from '../../harness/moto.js';
import { makeTestPki, type TestPki } from '../../support/certs.js';
import { type ControlCluster, startControlCluster } from '../../support/control-cluster.js';
import { launchClusterInstance, motoEc2Client } from '../../support/moto-ec2.js';
import { waitFor } from '../../support/wait.js';

// Nodes whose EC2 instance is gone are removed (and their pods with them), against the real API
// server and moto_server.
describe('cloud node lifecycle', () => {
  let moto: Moto;
  let ec2: EC2Client;
  let pki: TestPki;
  let c: ControlCluster;

  const launch = async () => (await launchClusterInstance(ec2, 'csr-cnl')).id;
  const node = (name: string, ready: 'True' | 'False') =>
    c.api.create<Node>(resources.nodes, {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name },
      spec: { providerID: `aws:///us-east-1a/${name}` },
      status: { conditions: [{ type: 'Ready', status: ready, reason: 'Test' }] },
    } as Node);
  const pod = (name: string, nodeName: string) =>
    c.api.create<Pod>(resources.pods, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace: 'default' },
      spec: { nodeName, containers: [{ name: 'c', image: 'busybox' }] },
    } as KubeObject as Pod);

  /** The node's Lease in kube-node-lease, last renewed `ageMs` ago (as its agent writes it). */
  const lease = (name: string, ageMs: number) =>
    c.api.create<Lease>(resources.leases, {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name, namespace: 'kube-node-lease' },
      spec: {
        holderIdentity: name,
        leaseDurationSeconds: 40,
        renewTime: new Date(Date.now() - ageMs).toISOString().replace('Z', '000Z'),
      },
    } as Lease);

  beforeAll(async () => {
    moto = await startMoto();
    ec2 = motoEc2Client(moto);
    pki = makeTestPki();
    c = await startControlCluster(pki);
  });
  afterAll(async () => {
    await c?.stop();
    if (pki) rmSync(pki.dir, { recursive: true, force: true });
    ec2?.destroy();
    await moto?.stop();
  });

  it('deletes a NotReady node, or a Ready one whose agent stopped renewing, when its instance was terminated; keeps the others', async () => {
    const ids = [await launch(), await launch(), await launch(), await launch()];
    const [alive, ended, reporting, silent] = ids as [string, string, string, string];
    await node(alive, 'False');
    await node(ended, 'False');
    await node(reporting, 'True');
    await lease(reporting, 1_000);
    await node(silent, 'True');
    await lease(silent, 60_000);
    await pod('on-ended', ended);
    await pod('on-silent', silent);
    await pod('on-alive', alive);
    // `reporting` renews its Lease every second, as a live agent does (its instance is terminated
    // but it still reports, so nobody looks it up).
    const renewing = setInterval(() => {
      void c.api
        .get<Lease>(resources.leases, 'kube-node-lease', reporting)
        .then((l) =>
          l
            ? c.api.update<Lease>(resources.leases, {
                ...l,
                spec: { ...l.spec, renewTime: new Date().toISOString().replace('Z', '000Z') },
              })
            : undefined,
        )
        .catch(() => undefined);
    }, 1_000);
    onTestFinished(() => clearInterval(renewing));
    await ec2.send(new TerminateInstancesCommand({ InstanceIds: [ended, reporting, silent] }));
    c.startLoops({
      cloudNodes: {
        verifier: ec2InstanceVerifier(createEipClaimEc2('us-east-1', moto.env), 'csr-cnl'),
        periodMs: 200,
        staleLeaseMs: 20_000,
      },
      controllers: { nodeMonitorPeriodMs: 200 },
    });
    await waitFor(
      async () => !(await c.api.get(resources.nodes, undefined, ended)),
      'the node of the terminated instance to go',
    );
    await waitFor(
      async () => !(await c.api.get(resources.pods, 'default', 'on-ended')),
      'its pod to be deleted',
    );
    // Still Ready (the node monitor has not seen the grace period pass), but its Lease is a minute
    // old and EC2 says the instance is gone.
    await waitFor(
      async () => !(await c.api.get(resources.nodes, undefined, silent)),
      'the Ready node whose agent went silent to go',
    );
    await waitFor(
      async () => !(await c.api.get(resources.pods, 'default', 'on-silent')),
      'its pod to be deleted',
    );
    await new Promise((r) => setTimeout(r, 1_000));
    expect(await c.api.get(resources.nodes, undefined, alive)).toBeDefined();
    expect(await c.api.get(resources.pods, 'default', 'on-alive')).toBeDefined();
    // A node whose agent still renews its Lease is not looked up (no EC2 call per reporting node).
    expect(await c.api.get(resources.nodes, undefined, reporting)).toBeDefined();
  });
});
