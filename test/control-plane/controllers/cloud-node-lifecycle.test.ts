import { rmSync } from 'node:fs';
import { type EC2Client, TerminateInstancesCommand } from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEipClaimEc2 } from '../../../src/aws/eip-claim.js';
import { ec2InstanceVerifier } from '../../../src/aws/instance-verifier.js';
import { resources } from '../../../src/client/types.js';
import type { KubeObject, Node, Pod } from '../../../src/kube/index.js';
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

  it('deletes a NotReady node whose instance was terminated, with its pods, and keeps the others', async () => {
    const [alive, ended, readyEnded] = [await launch(), await launch(), await launch()];
    await node(alive, 'False');
    await node(ended, 'False');
    await node(readyEnded, 'True');
    await pod('on-ended', ended);
    await pod('on-alive', alive);
    await ec2.send(new TerminateInstancesCommand({ InstanceIds: [ended, readyEnded] }));
    c.startLoops({
      cloudNodes: {
        verifier: ec2InstanceVerifier(createEipClaimEc2('us-east-1', moto.env), 'csr-cnl'),
        periodMs: 200,
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
    await new Promise((r) => setTimeout(r, 1_000));
    expect(await c.api.get(resources.nodes, undefined, alive)).toBeDefined();
    expect(await c.api.get(resources.pods, 'default', 'on-alive')).toBeDefined();
    // A Ready node is not looked up (as upstream): its agent still reports, so it is still there.
    expect(await c.api.get(resources.nodes, undefined, readyEnded)).toBeDefined();
  });
});
