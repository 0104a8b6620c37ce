import type { KubeClient } from '../../client/client.js';
import { type ListWatch, runListWatch } from '../../client/list-watch.js';
import { resources } from '../../client/types.js';
import { CoalescingRunner } from '../../coalescing-runner.js';
import { formatCidr, parseCidr } from '../../config/cidr.js';
import type { EventSink } from '../../events.js';
import type { Node } from '../../kube/index.js';
import {
  type DesiredHostNetwork,
  defaultHostNetworkLayout,
  type HostNetworkLayout,
  podNetworkAnnotations,
  type VxlanPeer,
} from './host-model.js';
import { planHostNetwork } from './host-plan.js';
import type { HostPortMapping } from './host-ports.js';
import type { KernelNetwork } from './kernel.js';
import {
  defaultPodRulesScope,
  type PodRulesScope,
  parseSavedPodRules,
  renderPodRules,
  renderPodRulesRemoval,
} from './pod-rules.js';

const ipOf = (base: number) => formatCidr({ base, prefix: 32 }).replace(/\/32$/, '');
const MAC_RE = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;
const IP_RE = /^\d{1,3}(\.\d{1,3}){3}$/;

/**
 * This host's desired pod network from the Node list: the bridge and VXLAN addresses from its own
 * block, and one peer per other Node that has a block and has published its VTEP MAC and
 * underlay address. Nodes with malformed or missing values are skipped (they are not reachable
 * yet), never trusted into a kernel command. Undefined while this node has no block. Without
 * VXLAN in the layout, only the bridge (the host routes between the blocks of its own bridges).
 * Pure.
 */
export function buildDesiredHostNetwork(
  selfName: string,
  nodes: readonly Node[],
  underlayIp: string,
  layout: HostNetworkLayout = defaultHostNetworkLayout,
): DesiredHostNetwork | undefined {
  const self = nodes.find((n) => n.metadata.name === selfName);
  const own = parseCidr(self?.spec?.podCIDR ?? '');
  if (!own || own.hostBitsSet || own.cidr.prefix > 30) return undefined;
  const bridge = { bridge: layout.bridge, bridgeAddress: `${ipOf(own.cidr.base + 1)}/${own.cidr.prefix}` };
  if (!layout.vxlan) return bridge;
  const peers: VxlanPeer[] = [];
  for (const n of nodes) {
    if (n.metadata.name === selfName) continue;
    const block = parseCidr(n.spec?.podCIDR ?? '');
    const mac = n.metadata.annotations?.[podNetworkAnnotations.vtepMac]?.toLowerCase() ?? '';
    const underlay = n.metadata.annotations?.[podNetworkAnnotations.underlayIp] ?? '';
    if (
      !block ||
      block.hostBitsSet ||
      !MAC_RE.test(mac) ||
      !IP_RE.test(underlay) ||
      !parseCidr(`${underlay}/32`)
    ) {
      continue;
    }
    peers.push({
      node: n.metadata.name ?? '',
      podCidr: formatCidr(block.cidr),
      vtepIp: ipOf(block.cidr.base),
      vtepMac: mac,
      underlayIp: underlay,
    });
  }
  peers.sort((a, b) => a.podCidr.localeCompare(b.podCidr));
  return { ...bridge, vxlan: { local: underlayIp, address: `${ipOf(own.cidr.base)}/32`, peers } };
}

/** Options of the host network reconciler. */
export interface HostNetworkOptions {
  readonly client: KubeClient;
  readonly kernel: KernelNetwork;
  readonly nodeName: string;
  /** The node's own address that peers send VXLAN packets to (its InternalIP). */
  readonly underlayIp: string;
  /** The cluster pod range (masquerade everything from it that does not go to it). */
  readonly clusterCidr: string;
  readonly events: EventSink;
  /** Full resync period (devices, entries and rules read back from the kernel). @default 30_000 */
  readonly resyncMs?: number;
  /** The host ports of this node's pods (DNATed to them); undefined: not known yet, keep the rules. @default none */
  readonly hostPorts?: () => readonly HostPortMapping[] | undefined;
  /** This agent's bridge, and whether it runs VXLAN to its peers. @default tugboat0 with VXLAN */
  readonly layout?: HostNetworkLayout;
  /** Which iptables chains this agent writes. @default all of them, host ports in TUGBOAT-HOSTPORTS */
  readonly rulesScope?: PodRulesScope;
}

/**
 * Keeps this host's bridge, VXLAN device, per-peer entries and pod rules in step with the Node
 * list (level-triggered: every pass reads the kernel and applies only the difference), and
 * publishes this node's VTEP MAC and underlay address as annotations for the peers.
 */
export class HostNetwork {
  private readonly nodes = new Map<string, Node>();
  private watch: ListWatch | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly runner = new CoalescingRunner(() =>
    this.syncOnce().catch((err) => this.warn(`pod network sync failed: ${(err as Error).message}`)),
  );
  private published = '';
  private cidr: string | undefined;

  constructor(private readonly options: HostNetworkOptions) {}

  /** This node's block once the control plane gave one. */
  nodeCidr(): string | undefined {
    return this.cidr;
  }

  /** Starts watching Nodes; resolves after the first list has been applied. */
  async start(): Promise<void> {
    await this.options.kernel.enableForwarding();
    this.watch = runListWatch<Node>(
      this.options.client,
      resources.nodes,
      {},
      {
        onReplace: (items) => {
          this.nodes.clear();
          for (const n of items) this.nodes.set(n.metadata.name ?? '', n);
          void this.sync();
        },
        onEvent: (e) => {
          if (e.type === 'DELETED') this.nodes.delete(e.object.metadata.name ?? '');
          else this.nodes.set(e.object.metadata.name ?? '', e.object);
          void this.sync();
        },
        onError: (err) => this.warn(`watching nodes failed: ${(err as Error).message}`),
      },
    );
    await this.watch.synced;
    await this.sync();
    this.timer = setInterval(() => void this.sync(), this.options.resyncMs ?? 30_000);
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.watch?.stop();
    await this.runner.idle();
  }

  /** One pass now; concurrent calls coalesce into one extra pass. Never throws. */
  sync(): Promise<void> {
    return this.runner.run();
  }

  private async syncOnce(): Promise<void> {
    const { kernel, nodeName } = this.options;
    const layout = this.options.layout ?? defaultHostNetworkLayout;
    const scope = this.options.rulesScope ?? defaultPodRulesScope;
    const desired = buildDesiredHostNetwork(
      nodeName,
      [...this.nodes.values()],
      this.options.underlayIp,
      layout,
    );
    if (!desired) return;
    const ops = planHostNetwork(desired, await kernel.observe());
    if (ops.length) {
      await kernel.apply(ops);
      this.options.events.emit({
        code: 'agent.network.applied',
        level: 'debug',
        message: `pod network: ${ops.length} changes (${desired.vxlan?.peers.length ?? 0} peers)`,
        data: { ops: ops.map((o) => o.op) },
      });
    }
    await kernel.restoreRules(
      renderPodRules(
        this.options.clusterCidr,
        parseSavedPodRules(await kernel.saveRules(), scope),
        this.options.hostPorts ? (this.options.hostPorts() ?? 'keep') : [],
        scope,
      ),
    );
    this.cidr = this.nodes.get(nodeName)?.spec?.podCIDR;
    if (!layout.vxlan) return;
    const mac = (await kernel.observe()).vxlan?.mac;
    if (mac) await this.publish(mac);
  }

  private async publish(mac: string): Promise<void> {
    const key = `${mac} ${this.options.underlayIp}`;
    const self = this.nodes.get(this.options.nodeName);
    const ann = self?.metadata.annotations ?? {};
    if (
      this.published === key &&
      ann[podNetworkAnnotations.vtepMac] === mac &&
      ann[podNetworkAnnotations.underlayIp] === this.options.underlayIp
    ) {
      return;
    }
    await this.options.client.patch(resources.nodes, this.options.nodeName, {
      metadata: {
        annotations: {
          [podNetworkAnnotations.vtepMac]: mac,
          [podNetworkAnnotations.underlayIp]: this.options.underlayIp,
        },
      },
    });
    this.published = key;
  }

  private warn(message: string): void {
    this.options.events.emit({ code: 'agent.network.error', level: 'warn', message, data: {} });
  }
}

/**
 * Removes everything the pod network put on this host: pod veths, the VXLAN device, the bridge
 * (their addresses, routes, neighbours and forwarding entries go with them) and the scope's
 * chains with their jumps (`kernel` and `scope` name one agent's share when several share the
 * host). Rules and devices that are not ours (Docker's included) are not touched.
 */
export async function removePodNetwork(kernel: KernelNetwork, scope = defaultPodRulesScope): Promise<void> {
  for (const veth of await kernel.listPodVeths()) await kernel.detachPod(veth);
  await kernel.removeDevices();
  const removal = renderPodRulesRemoval(parseSavedPodRules(await kernel.saveRules(), scope), scope);
  if (removal) await kernel.restoreRules(removal);
}
