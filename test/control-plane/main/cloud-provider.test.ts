import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type EC2Client, TerminateInstancesCommand } from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestNodeClientCertificate } from '../../../src/agent/tls-bootstrap.js';
import { type KubeClient, type Node, resources } from '../../../src/client/index.js';
import { clientControllerApi } from '../../../src/control-plane/machinery/client-api.js';
import { type RunningControlPlane, startControlPlane } from '../../../src/control-plane/main.js';
import type { KubeObject } from '../../../src/kube/index.js';
import { type Moto, startMoto } from '../../harness/moto.js';
import { createBootstrapToken } from '../../support/bootstrap-token.js';
import { makeTestPki, type TestPki } from '../../support/certs.js';
import { runCli } from '../../support/cli.js';
import { adminClient } from '../../support/control-cluster.js';
import { signingControlPlaneOptions } from '../../support/control-plane-files.js';
import { launchClusterInstance, motoEc2Client } from '../../support/moto-ec2.js';
import { waitFor } from '../../support/wait.js';

type Csr = KubeObject & { status?: { certificate?: string; conditions?: { type?: string }[] } };

// `startControlPlane({ cloud: aws })` (the `--cloud-provider aws --cluster-name` flags) against
// moto_server: node certificates are approved on their own only for running instances of the
// cluster, and Nodes whose instance was terminated are deleted.
describe('control plane on AWS (EC2 instance verifier)', () => {
  const dir = mkdtempSync(join(tmpdir(), `tugboat-bw-cloud-${process.pid}-`));
  let pki: TestPki;
  let moto: Moto;
  let ec2: EC2Client;
  let cp: RunningControlPlane;
  let admin: KubeClient;
  let token: string;
  beforeAll(async () => {
    pki = makeTestPki();
    moto = await startMoto();
    ec2 = motoEc2Client(moto);
    cp = await startControlPlane({
      ...signingControlPlaneOptions(dir, pki),
      cloud: { provider: 'aws', cluster: 'bw-cloud', region: 'us-east-1', env: moto.env },
      cloudNodeMonitorPeriodMs: 300,
    });
    admin = adminClient(pki, cp.url);
    token = await createBootstrapToken(clientControllerApi(admin), 'bwclou');
  });
  afterAll(async () => {
    admin?.close();
    await cp?.stop();
    ec2?.destroy();
    await moto?.stop();
    rmSync(dir, { recursive: true, force: true });
    if (pki) rmSync(pki.dir, { recursive: true, force: true });
  });

  const ask = (nodeName: string, timeoutMs: number) =>
    requestNodeClientCertificate({
      server: cp.url,
      ca: pki.ca.cert,
      token,
      nodeName,
      certFile: join(dir, `${nodeName}.crt`),
      keyFile: join(dir, `${nodeName}.key`),
      pollMs: 100,
      timeoutMs,
    });

  it('approves the bootstrap CSR of a running instance of the cluster and leaves others pending', async () => {
    const mine = await launchClusterInstance(ec2, 'bw-cloud');
    const theirs = await launchClusterInstance(ec2, 'bw-other');
    const pem = await ask(mine.id, 30_000);
    const cert = new X509Certificate(pem);
    expect(cert.subject).toContain(`CN=system:node:${mine.id}`);
    expect(cert.verify(new X509Certificate(pki.ca.cert).publicKey)).toBe(true);

    await expect(ask(theirs.id, 3_000)).rejects.toThrow(/was not approved in time/);
    await expect(ask('i-0123456789abcdef0', 3_000)).rejects.toThrow(/was not approved in time/);
    const csrs = (await admin.list<Csr>(resources.certificateSigningRequests)).items;
    expect(csrs).toHaveLength(3);
    const approved = csrs.filter((c) => c.status?.conditions?.some((x) => x.type === 'Approved'));
    expect(approved).toHaveLength(1);
    expect(Buffer.from(approved[0]?.status?.certificate ?? '', 'base64').toString()).toBe(pem);
    for (const c of csrs.filter((x) => x !== approved[0])) {
      expect(c.status?.conditions ?? []).toEqual([]);
      expect(c.status?.certificate).toBeUndefined();
    }
  });

  it('deletes a NotReady Node whose instance was terminated and keeps one whose instance runs', async () => {
    const gone = await launchClusterInstance(ec2, 'bw-cloud');
    const alive = await launchClusterInstance(ec2, 'bw-cloud');
    for (const id of [gone.id, alive.id])
      await admin.create(resources.nodes, { apiVersion: 'v1', kind: 'Node', metadata: { name: id } } as Node);
    await ec2.send(new TerminateInstancesCommand({ InstanceIds: [gone.id] }));
    await waitFor(
      async () =>
        (await admin.get<Node>(resources.nodes, gone.id).catch(() => undefined)) ? undefined : true,
      'the Node of the terminated instance to be deleted',
    );
    // Several passes later the Node of the running instance is still there.
    await new Promise((r) => setTimeout(r, 1_500));
    expect((await admin.get<Node>(resources.nodes, alive.id)).metadata.name).toBe(alive.id);
  });

  it('refuses cloud flags that do not go together, naming the missing one', async () => {
    const base = ['control-plane', '--insecure-loopback-http', '--listen', '127.0.0.1:0'];
    const noName = await runCli([...base, '--cloud-provider', 'aws', '--cloud-region', 'us-east-1']);
    expect(noName.code).toBe(2);
    expect(noName.stderr).toContain('--cloud-provider needs --cluster-name');
    const noProvider = await runCli([...base, '--cluster-name', 'demo']);
    expect(noProvider.code).toBe(2);
    expect(noProvider.stderr).toContain('--cluster-name and --cloud-region need --cloud-provider aws');
    const badRegion = await runCli([
      ...base,
      '--cloud-provider',
      'aws',
      '--cluster-name',
      'demo',
      '--cloud-region',
      'mars',
    ]);
    expect(badRegion.code).toBe(2);
    expect(badRegion.stderr).toContain('--cloud-region "mars" is not an AWS region');
  });
});
