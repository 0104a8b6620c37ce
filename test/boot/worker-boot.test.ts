import { execFile, execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CreateSubnetCommand, CreateVpcCommand, DescribeAddressesCommand } from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BootSpecSettings } from '../../src/boot/boot-flags.js';
import { agentPaths } from '../../src/bootstrap/agent-install.js';
import { type Node, resources } from '../../src/client/index.js';
import { writeKubeconfig } from '../support/api-server.js';
import { allocatePoolAddress } from '../support/moto-ec2.js';
import { waitFor } from '../support/wait.js';
import { WorkerBootFixture } from '../support/worker-boot-fixture.js';

// Issue 15, "joining without a laptop": `boot --role worker` on a host that AWS launched. moto
// stands in for SSM, KMS and EC2; an IMDSv2 stand-in gives the "instance" its identity and role
// credentials (no keys in the environment: the SDK fetches them from IMDS). The control plane is
// real, on loopback, with the EC2 verifier on moto; the agent is a real process from the real host
// bundle under a layout of its own temp root, supervised as on a host without systemd.
const execFileAsync = promisify(execFile);
const token = 'bwboot.0123456789abcdef';
let f: WorkerBootFixture;

beforeAll(async () => {
  f = await WorkerBootFixture.start('bw25', token);
  // The group's own pool address (spec: eipPool, and `eip: true` on the group).
  await allocatePoolAddress(f.ec2, f.cluster, 'blue');
}, 180_000);

afterAll(() => f?.stop(), 60_000);

/** Boots an instance of `tagCluster` as a worker of the fixture's cluster, as its user-data would. */
function bootWorker(
  name: string,
  tagCluster: string,
  joinTimeoutMs: number,
  spec?: BootSpecSettings,
  at?: { subnetId: string; privateIp: string },
) {
  return f.bootWorker(name, { tagCluster, joinTimeoutMs, ...(spec ? { spec } : {}), ...(at ? { at } : {}) });
}

describe('boot --role worker', () => {
  it("joins with the bootstrap token from SSM: CSR approved for its running instance, Node Ready with its group's labels, taints and pool EIP", async () => {
    // What the launch template of a group with labels, a taint and `eip: true` passes (buildBootArgs).
    const w = await bootWorker('w1', f.cluster, 120_000, {
      labels: { tier: 'web', 'example.com/disk': 'ssd' },
      taints: ['dedicated=web:NoSchedule', 'spot:PreferNoSchedule'],
      eip: true,
    });
    await w.booted;
    const node = await waitFor(
      async () => {
        const n = await f.admin.get<Node>(resources.nodes, w.instance.id).catch(() => undefined);
        return n?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ? n : undefined;
      },
      'the worker Node to be Ready',
      60_000,
    );
    expect(node.metadata.labels?.['tugboat.dev/group']).toBe('blue');
    expect(node.metadata.labels).toMatchObject({ tier: 'web', 'example.com/disk': 'ssd' });
    expect(node.spec?.taints).toEqual(
      expect.arrayContaining([
        { key: 'dedicated', value: 'web', effect: 'NoSchedule' },
        { key: 'spot', effect: 'PreferNoSchedule' },
      ]),
    );
    const pool = (await f.ec2.send(new DescribeAddressesCommand({}))).Addresses ?? [];
    expect(
      pool
        .filter((a) => a.InstanceId === w.instance.id)
        .map((a) => a.Tags?.find((t) => t.Key === 'tugboat:pool')?.Value),
    ).toEqual(['blue']);
    expect(w.events.codes()).toContain('boot.eip-claimed');
    // The layout SSH bootstrap uses; the certificate is the node's own, from the cluster CA.
    const p = agentPaths(w.layout, f.bundlePath.split('/').pop()!);
    const cert = new X509Certificate(readFileSync(p.cert));
    expect(cert.subject).toContain(`CN=system:node:${w.instance.id}`);
    expect(cert.verify(new X509Certificate(f.pki.ca.cert).publicKey)).toBe(true);
    expect(readFileSync(p.ca, 'utf8')).toBe(f.pki.ca.cert);
    expect(statSync(p.key).mode & 0o777).toBe(0o600);
    expect(readFileSync(p.bootstrapToken, 'utf8')).toBe(token);
    expect(statSync(p.bootstrapToken).mode & 0o777).toBe(0o600);
    // The token is a secret: only its id appears in what boot says, never on a command line.
    const said = JSON.stringify(w.events.events);
    expect(said).not.toContain('0123456789abcdef');
    expect(said).toContain('bootstrap token bwboot');
    const agents = execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' })
      .split('\n')
      .filter((l) => l.includes(w.instance.id));
    expect(agents.length).toBeGreaterThan(0);
    for (const line of agents) expect(line).not.toContain('0123456789abcdef');
  }, 240_000);

  it('an instance of another cluster is not approved: boot fails saying so, and no Node appears', async () => {
    const w = await bootWorker('w2', 'bw-other', 8_000);
    await expect(w.booted).rejects.toThrow(
      /got no node certificate from .* its CSR is approved only for a running instance/,
    );
    expect(w.failures[0]).toContain('got no node certificate');
    expect(await f.admin.get<Node>(resources.nodes, w.instance.id).catch(() => undefined)).toBeUndefined();
  }, 120_000);
  it('gets a kubelet-serving certificate naming its address by CSR, so kubectl logs through the API server reaches it', async () => {
    // The instance's private address is on loopback (a moto subnet of 127.26.15.0/24), so the API
    // server can reach the agent at the Node's InternalIP as it would on EC2.
    const vpc = await f.ec2.send(new CreateVpcCommand({ CidrBlock: '127.26.0.0/16' }));
    const subnet = await f.ec2.send(
      new CreateSubnetCommand({ VpcId: vpc.Vpc!.VpcId!, CidrBlock: '127.26.15.0/24' }),
    );
    const ip = '127.26.15.10';
    const w = await bootWorker('w3', f.cluster, 120_000, undefined, {
      subnetId: subnet.Subnet!.SubnetId!,
      privateIp: ip,
    });
    await w.booted;
    const p = agentPaths(w.layout, f.bundlePath.split('/').pop()!);
    const serving = await waitFor(
      async () => (existsSync(p.servingCert) ? new X509Certificate(readFileSync(p.servingCert)) : undefined),
      'the serving certificate',
      60_000,
    );
    expect(serving.subject).toContain(`CN=system:node:${w.instance.id}`);
    expect(serving.subjectAltName).toBe(`IP Address:${ip}`);
    expect(serving.verify(new X509Certificate(f.pki.ca.cert).publicKey)).toBe(true);
    expect(statSync(p.servingKey).mode & 0o777).toBe(0o600);
    // Approved by the control plane (the requester is the node, the SAN its Node's and its instance's address).
    const csrs = await f.admin.list<{
      apiVersion: string;
      kind: string;
      metadata: { name?: string };
      spec: { signerName?: string; username?: string };
      status?: { conditions?: { type?: string; reason?: string }[] };
    }>(resources.certificateSigningRequests);
    const servingCsr = csrs.items.find(
      (c) =>
        c.spec.signerName === 'kubernetes.io/kubelet-serving' &&
        c.spec.username === `system:node:${w.instance.id}`,
    );
    expect(servingCsr?.status?.conditions?.find((c) => c.type === 'Approved')?.reason).toBe('AutoApproved');

    await f.admin.create(
      resources.pods,
      {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'bootgaps-logs', namespace: 'default' },
        spec: {
          nodeName: w.instance.id,
          containers: [
            {
              name: 'c',
              image: 'local/busybox',
              command: ['sh', '-c', 'echo hello from a booted worker; sleep 3600'],
            },
          ],
        },
      } as never,
      'default',
    );
    const kubeconfig = writeKubeconfig(
      f.pki,
      f.cp.url,
      f.pki.client('admin', ['system:masters']),
      join(f.dir, 'kubeconfig'),
    );
    let last = '';
    const logs = await waitFor(
      async () => {
        try {
          // Not execFileSync: the control plane runs in this process and must answer meanwhile.
          const { stdout: out } = await execFileAsync(
            'kubectl',
            ['--kubeconfig', kubeconfig, 'logs', 'bootgaps-logs'],
            {
              encoding: 'utf8',
              timeout: 20_000,
            },
          );
          return out.includes('hello') ? out : undefined;
        } catch (err) {
          last = String((err as { stderr?: string }).stderr ?? err);
          return undefined;
        }
      },
      'kubectl logs through the API server',
      60_000,
    ).catch((err: Error) => {
      throw new Error(`${err.message}: ${last}`);
    });
    expect(logs).toContain('hello from a booted worker');
  }, 240_000);
});
