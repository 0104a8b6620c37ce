import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildAgentService } from '../../src/bootstrap/agent-install.js';
import { agentNetworkOptions } from '../../src/bootstrap/bootstrap-inventory.js';
import { bootstrapCluster } from '../../src/bootstrap/cluster-bootstrap.js';
import { buildControlPlaneService } from '../../src/bootstrap/control-plane-install.js';
import { DEFAULT_HOST_LAYOUT } from '../../src/bootstrap/layout.js';
import { DeploymentError } from '../../src/errors.js';
import { silentEvents } from '../../src/events.js';
import type { IssuedCertificate } from '../../src/pki/authority.js';

// The whole SSH path runs in the e2e (tugboat create on the host harness); here: what fails before
// any connection, and the agent's service line.
const dir = mkdtempSync(join(tmpdir(), `tugboat-cluster-bootstrap-${process.pid}-`));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('bootstrapCluster', () => {
  it('refuses a cluster without a running master before connecting anywhere, and writes nothing', async () => {
    const run = bootstrapCluster({
      cluster: 'demo',
      inventory: {
        cluster: 'demo',
        groups: [],
        hosts: [
          {
            id: 'i-m',
            role: 'master',
            group: 'master',
            zone: 'us-east-1a',
            state: 'terminated',
            lifecycleState: 'Terminating',
            privateIp: '10.0.1.4',
          },
        ],
      },
      keyPair: { keyName: 'tugboat-demo', imported: true },
      stack: { name: 'tugboat-demo', status: 'CREATE_COMPLETE', outputs: {} } as never,
      events: silentEvents,
      bundle: { file: 'b.mjs', content: Buffer.from('') },
      user: 'ec2-user',
      address: 'private',
      stateRoot: dir,
    });
    await expect(run).rejects.toBeInstanceOf(DeploymentError);
    await expect(run).rejects.toThrow(/no running master.*tugboat status demo/);
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe('buildAgentService', () => {
  const cert: IssuedCertificate = { certPem: 'c', keyPem: 'k' } as IssuedCertificate;
  const base = {
    layout: DEFAULT_HOST_LAYOUT,
    bundle: { file: 'b.mjs', content: Buffer.from('') },
    nodeName: 'i-1',
    server: 'https://10.0.0.4:6443',
    caPem: 'ca',
    client: cert,
    serving: cert,
    nodePath: '/usr/bin/node',
  };
  it('starts node with a 1 MB young generation, size-first V8 and two malloc arenas, and passes the group and labels', () => {
    const spec = buildAgentService({ ...base, group: 'green', labels: { tier: 'green' } });
    expect(spec.command.slice(0, 3)).toEqual([
      '/usr/bin/node',
      '--max-semi-space-size=1',
      '--optimize-for-size',
    ]);
    expect(spec.env).toEqual({ MALLOC_ARENA_MAX: '2' });
    expect(spec.command.join(' ')).toContain('--group green --labels tier=green');
    expect(spec.command).not.toContain('--service-proxy');
  });

  it('runs the pod network (docker) and the service proxy by default, each can be turned off', () => {
    const cidr = '10.244.0.0/16';
    expect(agentNetworkOptions('docker', {}, cidr)).toEqual({
      podNetwork: true,
      serviceProxy: 'iptables',
      clusterCidr: cidr,
    });
    expect(agentNetworkOptions('process', {}, cidr)).toEqual({ serviceProxy: 'iptables', clusterCidr: cidr });
    expect(agentNetworkOptions('docker', { agentPodNetwork: false }, cidr)).toEqual({
      serviceProxy: 'iptables',
      clusterCidr: cidr,
    });
    expect(agentNetworkOptions('docker', { agentPodNetwork: false, agentServiceProxy: false }, cidr)).toEqual(
      {},
    );
    const spec = buildAgentService({ ...base, ...agentNetworkOptions('docker', {}, cidr) });
    expect(spec.command.join(' ')).toContain(
      '--service-proxy iptables --pod-network --cluster-cidr 10.244.0.0/16',
    );
  });

  it('turns the service proxy on when asked, with the pod range', () => {
    const spec = buildAgentService({ ...base, serviceProxy: 'iptables', clusterCidr: '10.244.0.0/16' });
    expect(spec.command.join(' ')).toContain('--service-proxy iptables --cluster-cidr 10.244.0.0/16');
  });
});

describe('buildControlPlaneService', () => {
  const cert: IssuedCertificate = { certPem: 'c', keyPem: 'k' } as IssuedCertificate;
  const base = {
    layout: DEFAULT_HOST_LAYOUT,
    bundle: { file: 'b.mjs', content: Buffer.from('') },
    pki: { ca: cert, apiServer: cert, apiServerClient: cert } as never,
    nodePath: '/usr/bin/node',
  };

  it("passes the spec's pod and service ranges to the control plane (node IPAM, cluster IPs)", () => {
    const spec = buildControlPlaneService({
      ...base,
      podNetwork: { podCidr: '10.200.0.0/16', nodePodCidrPrefix: 25 },
      serviceCidr: '10.100.0.0/16',
      advertiseAddress: '10.0.0.4',
    });
    const line = spec.command.join(' ');
    expect(line).toContain('--cluster-cidr 10.200.0.0/16 --node-cidr-mask-size 25');
    expect(line).toContain('--service-cluster-ip-range 10.100.0.0/16');
    expect(line).toContain('--advertise-address 10.0.0.4');
  });

  it("leaves the server's defaults where the stack predates the settings", () => {
    const line = buildControlPlaneService(base).command.join(' ');
    expect(line).not.toContain('--service-cluster-ip-range');
    expect(line).not.toContain('--cluster-cidr');
  });
});
