/** `uninstall`'s removal of the service proxy's rules, through a shell inside a namespace this test makes. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { podNetworkAnnotations } from '../../src/agent/network/host-model.js';
import { buildDesiredHostNetwork } from '../../src/agent/network/host-network.js';
import { planHostNetwork } from '../../src/agent/network/host-plan.js';
import { IpKernelNetwork } from '../../src/agent/network/kernel.js';
import { parseSavedPodRules, renderPodRules } from '../../src/agent/network/pod-rules.js';
import { commandIptables } from '../../src/agent/network/service-proxy/iptables.js';
import { buildServicePorts } from '../../src/agent/network/service-proxy/model.js';
import { RuleSyncer } from '../../src/agent/network/service-proxy/sync-rules.js';
import { removeHostPodNetwork, removeHostServiceRules } from '../../src/bootstrap/service-rules.js';
import type { Node } from '../../src/kube/index.js';
import { LocalShell } from '../../src/ssh/local-shell.js';
import { quote } from '../../src/ssh/quote.js';
import type { ExecOptions, RemoteShell } from '../../src/ssh/remote-shell.js';
import { netnsRunner } from '../agent/network/netns.js';
import { byKey, endpoints, service } from '../agent/network/service-proxy/fixtures.js';
import { NetnsLab } from '../agent/network/service-proxy/netns-lab.js';

const lab = new NetnsLab('u');

/** A host shell whose commands run in the lab's node namespace. */
function nodeShell(): RemoteShell {
  const local = new LocalShell({ host: 'lab-node' });
  return {
    host: 'lab-node',
    exec: (command: string, options?: ExecOptions) =>
      local.exec(`exec nsenter --net=/run/netns/${lab.node} /bin/sh -c ${quote(command)}`, options),
    upload: (s, p, m) => local.upload(s, p, m),
    close: () => local.close(),
  };
}

describe('removeHostServiceRules', () => {
  beforeAll(async () => {
    await lab.create(0);
  }, 60_000);
  afterAll(async () => {
    await lab.destroy();
  });

  it('removes the proxy’s chains and jumps over a host shell and keeps the rest', async () => {
    lab.inNode('iptables', '-A', 'FORWARD', '-i', 'docker0', '-j', 'ACCEPT');
    const svc = service('web', '10.96.0.40', [{ port: 80, nodePort: 30100 }], { type: 'NodePort' });
    const ep = endpoints('web', ['10.244.1.2'], [], [{ port: 8080 }]);
    await new RuleSyncer(commandIptables({ prefix: ['nsenter', `--net=/run/netns/${lab.node}`] })).sync(
      buildServicePorts([svc], byKey(ep)),
      true,
    );
    expect(lab.inNode('iptables-save')).toContain('TUGBOAT-SVC-');
    await removeHostServiceRules(nodeShell());
    const after = lab.inNode('iptables-save');
    expect(after).not.toContain('TUGBOAT');
    expect(after).toContain('-A FORWARD -i docker0 -j ACCEPT');
    // Nothing of ours left: a second run is a no-op.
    await removeHostServiceRules(nodeShell());
  }, 60_000);

  it('removes the pod network (bridge, vxlan, routes, chains) over a host shell; Docker-like state stays byte for byte', async () => {
    // Someone else's state, as Docker leaves it: a bridge, a chain, a jump and a DROP policy.
    lab.inNode('ip', 'link', 'add', 'docker0', 'type', 'bridge');
    lab.inNode('iptables', '-N', 'DOCKER-USER');
    lab.inNode('iptables', '-A', 'FORWARD', '-j', 'DOCKER-USER');
    lab.inNode('iptables', '-t', 'nat', '-A', 'POSTROUTING', '-s', '172.17.0.0/16', '-j', 'MASQUERADE');
    lab.inNode('iptables', '-P', 'FORWARD', 'DROP');
    const state = () => ({
      rules: lab
        .inNode('iptables-save')
        .split('\n')
        .filter((l) => l.startsWith('-') || l.startsWith(':'))
        .map((l) => l.replace(/ \[\d+:\d+\]$/, ''))
        .join('\n'),
      links: lab
        .inNode('ip', '-o', 'link', 'show')
        .replace(/^\d+: /gm, '')
        .split('\n')
        .map((l) => l.split(' ')[0])
        .sort(),
      // IPv6 link-local routes come and go with the kernel's duplicate address detection on the
      // lab's own links, seconds after they are up; tugboat's pod network is IPv4 only.
      routes: lab
        .inNode('ip', 'route', 'show', 'table', 'all')
        .split('\n')
        .filter((l) => !l.includes('fe80::'))
        .join('\n'),
    });
    const before = state();
    // The agent's pod network in the node namespace: bridge, VXLAN to one peer, the pod rules.
    const kernel = new IpKernelNetwork(netnsRunner(lab.node));
    const nodes = ['self', 'peer'].map(
      (name, i): Node => ({
        apiVersion: 'v1',
        kind: 'Node',
        metadata: {
          name,
          annotations: {
            [podNetworkAnnotations.vtepMac]: `02:00:00:00:00:0${i + 1}`,
            [podNetworkAnnotations.underlayIp]: `192.168.77.${i * 8 + 1}`,
          },
        },
        spec: { podCIDR: `10.244.${i + 1}.0/24` },
      }),
    );
    const desired = buildDesiredHostNetwork('self', nodes, '192.168.77.1');
    await kernel.apply(planHostNetwork(desired!, await kernel.observe()));
    await kernel.restoreRules(renderPodRules('10.244.0.0/16', parseSavedPodRules(await kernel.saveRules())));
    const during = state();
    expect(during.links).toEqual(expect.arrayContaining(['tugboat0:', 'tugboat.1:']));
    expect(during.routes).toContain('10.244.2.0/24 via 10.244.2.0 dev tugboat.1');
    expect(during.rules).toContain('TUGBOAT-POD-MASQ');

    await removeHostPodNetwork(nodeShell());
    expect(state()).toEqual(before);
    // Nothing of ours left: a second run is a no-op.
    await removeHostPodNetwork(nodeShell());
    expect(state()).toEqual(before);
  }, 60_000);
});
