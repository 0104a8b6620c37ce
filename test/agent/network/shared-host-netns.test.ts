import { type ChildProcess, execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDesiredHostNetwork, removePodNetwork } from '../../../src/agent/network/host-network.js';
import { planHostNetwork } from '../../../src/agent/network/host-plan.js';
import { IpKernelNetwork } from '../../../src/agent/network/kernel.js';
import {
  hostPortsChainFor,
  type PodRulesScope,
  parseSavedPodRules,
  renderPodRules,
} from '../../../src/agent/network/pod-rules.js';
import type { Node } from '../../../src/kube/index.js';
import { inNetns, netnsRunner, pingFromPod, startPodProcess } from './netns.js';

// Two agents in one network namespace, as `tugboat local up --runtime docker` runs them: a bridge
// each, no VXLAN, the first writing the shared rules. On the real kernel, in a namespace of the
// test's own.
const ns = `tbld${process.pid % 10000}`;
const cluster = '10.244.0.0/16';
const agents = [1, 2].map((i) => {
  const bridge = `tugboat-l${i}`;
  const scope: PodRulesScope = { shared: i === 1, hostPortsChain: hostPortsChainFor(bridge) };
  return {
    name: `local-${i}`,
    bridge,
    scope,
    kernel: new IpKernelNetwork(netnsRunner(ns), { bridge, vxlan: false }),
  };
});
const nodes: Node[] = [1, 2].map((i) => ({
  apiVersion: 'v1',
  kind: 'Node',
  metadata: { name: `local-${i}` },
  spec: { podCIDR: `10.244.${i}.0/24` },
}));
const pods: ChildProcess[] = [];
let foreignBefore = '';

/** Rules that are not ours, as Docker's would be. */
const foreign = () =>
  inNetns(ns, 'iptables-save')
    .split('\n')
    .filter((l) => (l.startsWith('-') || l.startsWith(':FORWARD')) && !l.includes('TUGBOAT'))
    .map((l) => l.replace(/ \[\d+:\d+\]$/, ''))
    .join('\n');

async function reconcile(a: (typeof agents)[number]): Promise<number> {
  await a.kernel.enableForwarding();
  const desired = buildDesiredHostNetwork(a.name, nodes, '127.0.0.1', { bridge: a.bridge, vxlan: false });
  const ops = planHostNetwork(desired!, await a.kernel.observe());
  await a.kernel.apply(ops);
  const saved = parseSavedPodRules(await a.kernel.saveRules(), a.scope);
  await a.kernel.restoreRules(renderPodRules(cluster, saved, [], a.scope));
  return ops.length;
}

beforeAll(() => {
  execFileSync('ip', ['netns', 'add', ns]);
  inNetns(ns, 'ip', 'link', 'set', 'lo', 'up');
  inNetns(ns, 'iptables', '-N', 'OTHER-CHAIN');
  inNetns(ns, 'iptables', '-A', 'FORWARD', '-j', 'OTHER-CHAIN');
  inNetns(ns, 'iptables', '-P', 'FORWARD', 'DROP');
  foreignBefore = foreign();
});

afterAll(() => {
  for (const p of pods) if (p.pid) process.kill(p.pid, 'SIGKILL');
  execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
});

describe('two agents sharing one network namespace (local up)', () => {
  it('each gets its own bridge; pods on the two bridges reach each other, routed by the host', async () => {
    for (const a of agents) await reconcile(a);
    const ips = ['10.244.1.5', '10.244.2.7'];
    for (const [i, a] of agents.entries()) {
      const pod = startPodProcess();
      pods.push(pod);
      await new Promise((r) => setTimeout(r, 100));
      await a.kernel.attachPod({
        hostVeth: `tbvshared${i}`,
        pid: pod.pid!,
        address: `${ips[i]}/24`,
        gateway: `10.244.${i + 1}.1`,
      });
    }
    const ping = (from: number, to: string) => pingFromPod(pods[from]!, to);
    expect(ping(0, ips[1]!)).toMatch(/1 packets received/);
    expect(ping(1, ips[0]!)).toMatch(/1 packets received/);
    expect(inNetns(ns, 'ip', '-o', 'link', 'show')).not.toContain('tugboat.1');
    const routes = inNetns(ns, 'ip', 'route', 'show');
    expect(routes).toMatch(/10\.244\.1\.0\/24 dev tugboat-l1/);
    expect(routes).toMatch(/10\.244\.2\.0\/24 dev tugboat-l2/);
  });

  it("lists only its own bridge's veths, so neither agent deletes the other's pods", async () => {
    expect(await agents[0]!.kernel.listPodVeths()).toEqual(['tbvshared0']);
    expect(await agents[1]!.kernel.listPodVeths()).toEqual(['tbvshared1']);
  });

  it('a second pass changes nothing and every jump is there once', async () => {
    for (const a of agents) expect(await reconcile(a)).toBe(0);
    const saved = inNetns(ns, 'iptables-save').split('\n');
    const count = (line: string) => saved.filter((l) => l === line).length;
    expect(count('-A POSTROUTING -j TUGBOAT-POD-MASQ')).toBe(1);
    expect(count('-A FORWARD -j TUGBOAT-POD-FORWARD')).toBe(1);
    expect(count('-A INPUT -j TUGBOAT-POD-INPUT')).toBe(1);
    for (const chain of ['TUGBOAT-HP-TUGBOAT-L1', 'TUGBOAT-HP-TUGBOAT-L2']) {
      expect(count(`-A PREROUTING -m addrtype --dst-type LOCAL -j ${chain}`)).toBe(1);
      expect(count(`-A OUTPUT -m addrtype --dst-type LOCAL -j ${chain}`)).toBe(1);
    }
    expect(saved.some((l) => l.includes('TUGBOAT-HOSTPORTS'))).toBe(false);
  });

  it("removing one agent's share leaves the other's; removing both leaves nothing of ours", async () => {
    await removePodNetwork(agents[1]!.kernel, agents[1]!.scope);
    const links = inNetns(ns, 'ip', '-o', 'link', 'show');
    expect(links).not.toContain('tugboat-l2');
    expect(links).toContain('tugboat-l1');
    expect(links).toContain('tbvshared0');
    const rules = inNetns(ns, 'iptables-save');
    expect(rules).not.toContain('TUGBOAT-HP-TUGBOAT-L2');
    expect(rules).toContain('TUGBOAT-HP-TUGBOAT-L1');
    expect(rules).toContain('TUGBOAT-POD-MASQ');

    await removePodNetwork(agents[0]!.kernel, agents[0]!.scope);
    expect(inNetns(ns, 'ip', '-o', 'link', 'show')).not.toMatch(/tugboat|tbv/);
    expect(inNetns(ns, 'ip', 'route', 'show')).not.toContain('10.244.');
    expect(inNetns(ns, 'iptables-save')).not.toContain('TUGBOAT');
    expect(foreign()).toBe(foreignBefore);
    await removePodNetwork(agents[0]!.kernel, agents[0]!.scope);
  });
});
