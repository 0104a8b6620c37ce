import { describe, expect, it } from 'vitest';
import { parseAgentConfig } from '../../src/agent/config.js';
import {
  assertPodRangeFree,
  conflictingRoutes,
  LOCAL_CLUSTER_CIDR,
  localAgentNetworkConfig,
  localBridgeName,
  resolveLocalPodNetwork,
} from '../../src/local/pod-network.js';

describe('local up on the pod network (docker runtime)', () => {
  it('is on for docker as root, off for the process runtime and for docker without root', () => {
    expect(resolveLocalPodNetwork('auto', 'docker', true)).toBe(true);
    expect(resolveLocalPodNetwork('auto', 'docker', false)).toBe(false);
    expect(resolveLocalPodNetwork('auto', 'process', true)).toBe(false);
    expect(resolveLocalPodNetwork(false, 'docker', true)).toBe(false);
    expect(resolveLocalPodNetwork(true, 'docker', true)).toBe(true);
  });

  it('refuses --pod-network where it cannot run, saying what to do', () => {
    expect(() => resolveLocalPodNetwork(true, 'process', true)).toThrow(
      /--pod-network needs the docker runtime: the process runtime runs pods in the host network/,
    );
    expect(() => resolveLocalPodNetwork(true, 'docker', false)).toThrow(
      /needs root: run as root, or pass --no-pod-network/,
    );
  });

  it('gives every node its own bridge (15 characters at most) and only the first the shared rules and proxy', () => {
    expect(localBridgeName(20)).toBe('tugboat-l20');
    expect(localBridgeName(20).length).toBeLessThanOrEqual(15);
    const first = localAgentNetworkConfig(1, LOCAL_CLUSTER_CIDR);
    const second = localAgentNetworkConfig(2, LOCAL_CLUSTER_CIDR);
    expect(first).toEqual({
      clusterCidr: '10.244.0.0/16',
      podNetwork: { bridge: 'tugboat-l1', vxlan: false, sharedRules: true },
      serviceProxy: 'iptables',
    });
    expect(second).toEqual({
      clusterCidr: '10.244.0.0/16',
      podNetwork: { bridge: 'tugboat-l2', vxlan: false, sharedRules: false },
    });
    // The agent takes both as they are.
    const base = { server: 'https://127.0.0.1:6443', runtime: 'docker' };
    expect(parseAgentConfig({ ...base, ...second }).podNetwork).toMatchObject({
      bridge: 'tugboat-l2',
      vxlan: false,
      sharedRules: false,
    });
  });

  it('an agent keeps tugboat0, VXLAN and every rule by default, and rejects a bad bridge name with its path', () => {
    const base = { server: 'https://127.0.0.1:6443', runtime: 'docker', clusterCidr: '10.244.0.0/16' };
    expect(parseAgentConfig({ ...base, podNetwork: {} }).podNetwork).toMatchObject({
      bridge: 'tugboat0',
      vxlan: true,
      sharedRules: true,
    });
    expect(() => parseAgentConfig({ ...base, podNetwork: { bridge: 'Bridge-Name-Too-Long' } })).toThrow(
      /podNetwork\.bridge.*must be a lower-case interface name of at most 15 characters/s,
    );
  });
});

describe('the local pod range must be free on this machine', () => {
  const routes = [
    { dst: 'default', dev: 'eth0' },
    { dst: '172.17.0.0/16', dev: 'docker0' },
    { dst: '10.244.1.0/24', dev: 'tugboat-l1' },
  ];

  it('ignores the default route, other ranges and its own bridges', () => {
    expect(conflictingRoutes(routes, LOCAL_CLUSTER_CIDR, ['tugboat-l1', 'tugboat-l2'])).toEqual([]);
  });

  it('names routes of another network inside or around the range', () => {
    expect(
      conflictingRoutes(
        [
          ...routes,
          { dst: '10.244.7.0/24', dev: 'cni0' },
          { dst: '10.0.0.0/8', dev: 'wg0' },
          { dst: '10.244.9.9' },
        ],
        LOCAL_CLUSTER_CIDR,
        ['tugboat-l1'],
      ),
    ).toEqual(['10.244.7.0/24 dev cni0', '10.0.0.0/8 dev wg0', '10.244.9.9']);
  });

  it('refuses to start with the routes and the way out', async () => {
    const run = async (argv: readonly string[]) =>
      argv[0] === 'ip'
        ? JSON.stringify([{ dst: '10.244.0.0/16', dev: 'flannel.1' }])
        : 'iptables-save v1.8.9';
    await expect(assertPodRangeFree(LOCAL_CLUSTER_CIDR, ['tugboat-l1'], run)).rejects.toThrow(
      'the local pod range 10.244.0.0/16 overlaps routes on this machine (10.244.0.0/16 dev flannel.1): remove them, or run `tugboat local up --no-pod-network`',
    );
    await expect(
      assertPodRangeFree(LOCAL_CLUSTER_CIDR, ['tugboat-l1'], async () => '[]'),
    ).resolves.toBeUndefined();
  });

  it('says which tools are missing instead of failing inside an agent', async () => {
    const run = async (argv: readonly string[]) => {
      if (argv[0] === 'iptables-save') throw new Error('spawn iptables-save ENOENT');
      return '[]';
    };
    await expect(assertPodRangeFree(LOCAL_CLUSTER_CIDR, ['tugboat-l1'], run)).rejects.toThrow(
      'the pod network needs iproute2 (ip) and iptables (spawn iptables-save ENOENT): install them, or run `tugboat local up --no-pod-network`',
    );
  });
});
