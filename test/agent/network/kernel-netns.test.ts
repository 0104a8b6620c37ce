import { execFileSync, spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { podNetworkAnnotations } from '../../../src/agent/network/host-model.js';
import { buildDesiredHostNetwork, removePodNetwork } from '../../../src/agent/network/host-network.js';
import { planHostNetwork } from '../../../src/agent/network/host-plan.js';
import { IpKernelNetwork } from '../../../src/agent/network/kernel.js';
import { parseSavedPodRules, renderPodRules } from '../../../src/agent/network/pod-rules.js';
import type { Node } from '../../../src/kube/index.js';
import { inNetns, makeTwoHosts, netnsRunner, startPodProcess } from './netns.js';

const cluster = '10.244.0.0/16';
const tag = `tbnp${process.pid % 10000}`;
let net: ReturnType<typeof makeTwoHosts>;
const kernels: IpKernelNetwork[] = [];
const pods: ReturnType<typeof startPodProcess>[] = [];

/** The rules that are not ours (what Docker would have), to check nothing else changes. */
const foreign = (ns: string) =>
  inNetns(ns, 'iptables-save')
    .split('\n')
    .filter((l) => (l.startsWith('-') || l.startsWith(':FORWARD')) && !l.includes('TUGBOAT-POD'))
    .map((l) => l.replace(/ \[\d+:\d+\]$/, ''))
    .join('\n');

const nodeList = (macs: string[]): Node[] =>
  [0, 1].map((i) => ({
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: `n${i}`,
      annotations: (macs[i]
        ? { [podNetworkAnnotations.vtepMac]: macs[i]!, [podNetworkAnnotations.underlayIp]: net.underlay[i]! }
        : {}) as Record<string, string>,
    },
    spec: { podCIDR: `10.244.${i + 1}.0/24` },
  }));

async function reconcile(i: number, nodes: Node[]): Promise<number> {
  const k = kernels[i]!;
  await k.enableForwarding();
  const desired = buildDesiredHostNetwork(`n${i}`, nodes, net.underlay[i]!)!;
  const ops = planHostNetwork(desired, await k.observe());
  await k.apply(ops);
  await k.restoreRules(renderPodRules(cluster, parseSavedPodRules(await k.saveRules())));
  return ops.length;
}

beforeAll(() => {
  net = makeTwoHosts(tag);
  for (const h of net.hosts) {
    kernels.push(new IpKernelNetwork(netnsRunner(h)));
    // A rule of someone else's (as Docker's would be) that must survive everything we do.
    inNetns(h, 'iptables', '-N', 'OTHER-CHAIN');
    inNetns(h, 'iptables', '-A', 'FORWARD', '-j', 'OTHER-CHAIN');
    inNetns(h, 'iptables', '-P', 'FORWARD', 'DROP');
  }
});

afterAll(() => {
  for (const p of pods) if (p.pid) process.kill(p.pid, 'SIGKILL');
  net?.remove();
});

describe('the pod network on the real kernel, in two namespaced hosts', () => {
  let before: string[];

  it('builds bridge, vxlan, peers and rules; pods on two hosts reach each other by IP', async () => {
    before = net.hosts.map(foreign);
    // First pass: devices only (no peer has published its VTEP MAC yet), then the peers.
    await reconcile(0, nodeList([]));
    await reconcile(1, nodeList([]));
    const macs = await Promise.all(kernels.map(async (k) => (await k.observe()).vxlan!.mac));
    expect(macs[0]).toMatch(/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/);
    await reconcile(0, nodeList(macs));
    await reconcile(1, nodeList(macs));

    const ips = ['10.244.1.5', '10.244.2.7'];
    for (const i of [0, 1]) {
      const pod = startPodProcess();
      pods.push(pod);
      await new Promise((r) => setTimeout(r, 100));
      await kernels[i]!.attachPod({
        hostVeth: `tbvtest${i}`,
        pid: pod.pid!,
        address: `${ips[i]}/24`,
        gateway: `10.244.${i + 1}.1`,
      });
    }
    const ping = (from: number, to: string) =>
      execFileSync(
        'nsenter',
        ['-t', String(pods[from]!.pid), '-n', 'busybox', 'ping', '-c', '1', '-W', '2', to],
        {
          encoding: 'utf8',
        },
      );
    expect(ping(0, ips[1]!)).toMatch(/1 packets received/);
    expect(ping(1, ips[0]!)).toMatch(/1 packets received/);
    expect(ping(0, '10.244.1.1')).toMatch(/1 packets received/);

    const routes = inNetns(net.hosts[0], 'ip', 'route', 'show', 'dev', 'tugboat.1');
    expect(routes.trim()).toBe('10.244.2.0/24 via 10.244.2.0 onlink');
    const vx = inNetns(net.hosts[0], 'ip', '-d', 'link', 'show', 'tugboat.1');
    expect(vx).toContain('vxlan id 1 local 192.0.2.1');
    expect(vx).toContain('dstport 8472');
    const nat = inNetns(net.hosts[0], 'iptables-save', '-t', 'nat');
    expect(nat).toContain('-A TUGBOAT-POD-MASQ -s 10.244.0.0/16 -d 10.244.0.0/16');
    expect(nat).toMatch(/-A TUGBOAT-POD-MASQ -s 10\.244\.0\.0\/16 ! -d 224\.0\.0\.0\/4 .*-j MASQUERADE/);
  });

  it('changes nothing on a second pass (a restarted agent) and keeps one jump per chain', async () => {
    expect(
      await reconcile(
        0,
        nodeList(await Promise.all(kernels.map(async (k) => (await k.observe()).vxlan!.mac))),
      ),
    ).toBe(0);
    // A restart that finds the jump twice (as if inserted by two agents) leaves one.
    inNetns(net.hosts[0], 'iptables', '-t', 'nat', '-I', 'POSTROUTING', '-j', 'TUGBOAT-POD-MASQ');
    await reconcile(0, nodeList([]));
    const saved = inNetns(net.hosts[0], 'iptables-save');
    expect(saved.split('\n').filter((l) => l === '-A POSTROUTING -j TUGBOAT-POD-MASQ')).toHaveLength(1);
    expect(saved.split('\n').filter((l) => l === '-A FORWARD -j TUGBOAT-POD-FORWARD')).toHaveLength(1);
    // A peer that left: its fdb entry, neighbour and route are gone.
    expect(inNetns(net.hosts[0], 'ip', 'route', 'show', 'dev', 'tugboat.1').trim()).toBe('');
    expect(inNetns(net.hosts[0], 'bridge', 'fdb', 'show', 'dev', 'tugboat.1')).not.toContain('192.0.2.2');
  });

  it("DNATs a pod's hostPort on the host's own address to the pod (also from the pod itself), and drops the rule when the mapping goes", async () => {
    // A listener in the pod on host 1 (10.244.2.7:8080), published as host 1's port 18080.
    const server = spawn(
      'nsenter',
      ['-t', String(pods[1]!.pid), '-n', 'busybox', 'nc', '-ll', '-p', '8080', '-e', 'echo', 'from-pod'],
      {
        stdio: 'ignore',
      },
    );
    try {
      const mapping = {
        pod: 'default/web',
        protocol: 'tcp' as const,
        hostPort: 18080,
        podIP: '10.244.2.7',
        containerPort: 8080,
      };
      const k = kernels[1]!;
      // The same pod port also published on the node's loopback only (hostIP 127.0.0.1).
      const loopbackOnly = { ...mapping, hostPort: 18081, hostIP: '127.0.0.1' };
      await k.restoreRules(
        renderPodRules(cluster, parseSavedPodRules(await k.saveRules()), [mapping, loopbackOnly]),
      );
      // From the other host, over the underlay, to host 1's address (PREROUTING).
      const fetch = () =>
        execFileSync(
          'nsenter',
          [`--net=/run/netns/${net.hosts[0]}`, 'busybox', 'nc', '-w', '2', net.underlay[1]!, '18080'],
          {
            encoding: 'utf8',
            input: '',
            timeout: 10_000,
          },
        ).trim();
      let answer = '';
      for (let i = 0; i < 20 && answer !== 'from-pod'; i++) {
        try {
          answer = fetch();
        } catch {
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      expect(answer).toBe('from-pod');
      // Hairpin: the pod itself, through its node's address, reaches its own host port (masqueraded).
      const hairpin = execFileSync(
        'nsenter',
        ['-t', String(pods[1]!.pid), '-n', 'busybox', 'nc', '-w', '2', net.underlay[1]!, '18080'],
        { encoding: 'utf8', input: '', timeout: 10_000 },
      ).trim();
      expect(hairpin).toBe('from-pod');
      // The node's own localhost:hostPort reaches the pod too (route_localnet, masqueraded).
      const localhost = inNetns(net.hosts[1], 'busybox', 'nc', '-w', '2', '127.0.0.1', '18080').trim();
      expect(localhost).toBe('from-pod');
      expect(inNetns(net.hosts[1], 'busybox', 'nc', '-w', '2', '127.0.0.1', '18081').trim()).toBe('from-pod');
      // …and not on the node's other addresses.
      expect(() =>
        execFileSync(
          'nsenter',
          [`--net=/run/netns/${net.hosts[0]}`, 'busybox', 'nc', '-w', '2', net.underlay[1]!, '18081'],
          {
            input: '',
            timeout: 10_000,
          },
        ),
      ).toThrow();
      const saved = inNetns(net.hosts[1], 'iptables-save', '-t', 'nat').split('\n');
      expect(
        saved.filter((l) => l === '-A PREROUTING -m addrtype --dst-type LOCAL -j TUGBOAT-HOSTPORTS'),
      ).toHaveLength(1);
      expect(
        saved.filter((l) => l === '-A OUTPUT -m addrtype --dst-type LOCAL -j TUGBOAT-HOSTPORTS'),
      ).toHaveLength(1);
      // Applying again keeps one of each jump; without the mapping the DNAT rule is gone.
      await k.restoreRules(renderPodRules(cluster, parseSavedPodRules(await k.saveRules()), [mapping]));
      // A restarted agent that has not seen its pods yet keeps the rules a previous one wrote.
      await k.restoreRules(renderPodRules(cluster, parseSavedPodRules(await k.saveRules()), 'keep'));
      expect(inNetns(net.hosts[1], 'iptables-save', '-t', 'nat')).toContain('--dport 18080');
      expect(fetch()).toBe('from-pod');
      await k.restoreRules(renderPodRules(cluster, parseSavedPodRules(await k.saveRules())));
      const after = inNetns(net.hosts[1], 'iptables-save', '-t', 'nat');
      expect(after).not.toContain('--dport 18080');
      expect(after.split('\n').filter((l) => l.includes('-j TUGBOAT-HOSTPORTS'))).toHaveLength(2);
    } finally {
      server.kill('SIGKILL');
    }
  });

  it('removal leaves no device, veth, route or chain of ours and the other rules as they were', async () => {
    for (const [i, k] of kernels.entries()) {
      await removePodNetwork(k);
      const links = inNetns(net.hosts[i]!, 'ip', '-o', 'link', 'show');
      expect(links).not.toMatch(/tugboat|tbv/);
      expect(inNetns(net.hosts[i]!, 'ip', 'route', 'show')).not.toContain('10.244.');
      expect(inNetns(net.hosts[i]!, 'iptables-save')).not.toContain('TUGBOAT');
      expect(foreign(net.hosts[i]!)).toBe(before[i]);
      // Removing again is a no-op.
      await removePodNetwork(k);
    }
  });
});
