/** The pieces of a docker node's pod network, wired together from the agent's config. */
import type { KubeClient } from '../client/client.js';
import { UsageError } from '../errors.js';
import type { EventSink } from '../events.js';
import type { AgentOptions } from './agent.js';
import type { AgentConfig } from './config.js';
import { ClusterDns, podGateway } from './network/dns/cluster-dns.js';
import { readHostResolvConfForPods } from './network/dns/host-resolv.js';
import { HostNetwork } from './network/host-network.js';
import { IpKernelNetwork, spawnCommand } from './network/kernel.js';
import { hostPortsChainFor } from './network/pod-rules.js';
import { PodSandboxes } from './network/pod-sandbox.js';
import type { Runtime } from './runtime/types.js';

/** The pod network of a docker node when configured; the process runtime shares the host network. */
export function buildPodNetwork(
  config: AgentConfig,
  client: KubeClient,
  runtime: Runtime,
  nodeName: string,
  underlayIp: string,
  events: EventSink,
): (NonNullable<AgentOptions['podNetwork']> & { readonly dns: ClusterDns }) | undefined {
  const net = config.podNetwork;
  if (!net) return undefined;
  if (config.runtime !== 'docker') {
    throw new UsageError('podNetwork needs the docker runtime: remove podNetwork or use runtime: docker');
  }
  if (!config.clusterCidr) {
    throw new UsageError(
      'podNetwork needs the cluster pod range: set clusterCidr (--cluster-cidr 10.244.0.0/16)',
    );
  }
  const layout = { bridge: net.bridge, vxlan: net.vxlan };
  const kernel = new IpKernelNetwork(spawnCommand, layout);
  const host = new HostNetwork({
    client,
    kernel,
    nodeName,
    underlayIp,
    clusterCidr: config.clusterCidr,
    events,
    hostPorts: () => sandboxes.hostPorts(),
    layout,
    rulesScope: { shared: net.sharedRules, hostPortsChain: hostPortsChainFor(net.bridge) },
  });
  const sandboxes: PodSandboxes = new PodSandboxes({
    runtime,
    kernel,
    dataDir: config.dataDir,
    nodeCidr: () => host.nodeCidr(),
    sandboxImage: net.sandboxImage,
    ...(net.sandboxCommand ? { sandboxCommand: net.sandboxCommand } : {}),
    dns: { hostResolvConf: () => readHostResolvConfForPods() },
    events,
    onHostPortsChanged: () => void host.sync(),
  });
  const dns = new ClusterDns({
    client,
    listenHost: () => podGateway(host.nodeCidr()),
    clusterCidr: config.clusterCidr,
    events,
  });
  return { host, sandboxes, dns };
}
