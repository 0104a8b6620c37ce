import { createHash } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { EventSink } from '../../events.js';
import type { Pod } from '../../kube/index.js';
import type { Mount, Runtime, RuntimeContainer } from '../runtime/types.js';
import { buildPodResolvConf, type ResolvConf, renderResolvConf } from './dns/resolv-conf.js';
import { podNetworkNames } from './host-model.js';
import { type HostPortMapping, podHostPortMappings } from './host-ports.js';
import type { KernelNetwork } from './kernel.js';
import { writeMountedFile } from './mounted-file.js';
import { podHostname, renderPodHosts } from './pod-identity.js';
import { PodIpam } from './pod-ipam.js';

/** A pod's directory on the node (the same as the volumes' `<dataDir>/pods/<uid>`, removed with them). */
const podDir = (dataDir: string, uid: string) => join(dataDir, 'pods', uid);

/** The sandbox's container name: upper case, so no pod container (DNS-label names) can take it. */
export const SANDBOX_CONTAINER = 'POD';
/** Label on the sandbox with the pod's address, so a restarted agent knows who has which. */
export const podIpLabel = 'tugboat.dev/pod-ip';

/** Options of the pod network of a docker node. */
export interface PodSandboxOptions {
  readonly runtime: Runtime;
  readonly kernel: KernelNetwork;
  /** Where the IPAM state and the pods' /etc/hosts files live (`<dataDir>/network`, `<dataDir>/pods/<uid>`). */
  readonly dataDir: string;
  /** The node's block (spec.podCIDR) once the control plane gave one. */
  readonly nodeCidr: () => string | undefined;
  /** Image of the sandbox; it must stay running doing nothing. */
  readonly sandboxImage: string;
  /** Command of the sandbox. @default the image's own */
  readonly sandboxCommand?: readonly string[];
  /**
   * Cluster DNS served on the bridge's address (the pods' gateway): pods get a resolv.conf by their
   * `dnsPolicy`, with this host's settings (`Default`, search domains) from `hostResolvConf`.
   * Absent: containers keep the runtime's resolv.conf.
   */
  readonly dns?: { readonly hostResolvConf: () => ResolvConf };
  readonly events: EventSink;
  /** Called when the set of pods' host ports changed (the pod network re-renders its rules). */
  readonly onHostPortsChanged?: () => void;
}

/** A pod's network, ready for its containers. */
export interface PodSandbox {
  readonly sandbox: RuntimeContainer;
  readonly ip: string;
  /** Mounts every container of the pod gets (its /etc/hosts and /etc/resolv.conf). */
  readonly mounts: readonly Mount[];
}

/** The host-side veth of a pod: a short hash of its uid (interface names have at most 15 characters). */
export function hostVethName(uid: string): string {
  return `${podNetworkNames.vethPrefix}${createHash('sha256').update(uid).digest('hex').slice(0, 11)}`;
}

/**
 * Pod sandboxes, as Kubernetes' pause containers: one small container per pod that holds the pod's
 * network namespace (its own loopback, `eth0` on the tugboat bridge with an address of the node's
 * block) and its hostname; the pod's containers join it, so a container restart keeps the IP.
 */
export class PodSandboxes {
  private ipam: PodIpam | undefined;
  private opening: Promise<PodIpam> | undefined;
  /** Sandboxes whose veth this agent process has checked or made. */
  private readonly plumbed = new Set<string>();
  /** Host ports of the pods with a sandbox, by pod uid (rebuilt as pods sync after a restart). */
  private readonly ports = new Map<string, { key: string; mappings: HostPortMapping[] }>();
  private portsKnown = false;

  constructor(private readonly options: PodSandboxOptions) {}

  /**
   * Makes sure the pod has a running, plumbed sandbox and an /etc/hosts; `sandboxes` are the
   * pod's sandbox containers the runtime lists. Returns why it must wait when it cannot yet.
   */
  async ensure(pod: Pod, sandboxes: readonly RuntimeContainer[]): Promise<PodSandbox | { waiting: string }> {
    const ipam = await this.open();
    if (!ipam) return { waiting: "waiting for the node's pod CIDR from the control plane" };
    const uid = pod.metadata.uid ?? '';
    const { runtime, kernel } = this.options;
    const sorted = [...sandboxes].sort((a, b) => b.attempt - a.attempt);
    let current = sorted.find((s) => s.state === 'running');
    for (const s of sorted) if (s !== current) await runtime.remove(s.id);
    const gateway = ipam.gateway;
    let ip = current?.labels?.[podIpLabel];
    if (!current || !ip) {
      if (current) await runtime.remove(current.id);
      ip = await ipam.allocate(uid);
      await runtime.ensureImage(this.options.sandboxImage, 'IfNotPresent');
      const name = podHostname(pod);
      current = await runtime.start({
        pod: { namespace: pod.metadata.namespace ?? 'default', name: pod.metadata.name ?? '', uid },
        name: SANDBOX_CONTAINER,
        attempt: (sorted[0]?.attempt ?? -1) + 1,
        image: this.options.sandboxImage,
        ...(this.options.sandboxCommand ? { command: this.options.sandboxCommand, args: [] } : {}),
        env: [],
        mounts: [],
        ports: [],
        network: { mode: 'none' },
        hostname: name.hostname,
        ...(name.domainname ? { domainname: name.domainname } : {}),
        labels: { [podIpLabel]: ip },
      });
      this.plumbed.delete(current.id);
    }
    if (!this.plumbed.has(current.id)) {
      const veth = hostVethName(uid);
      if (!current.pid) throw new Error(`sandbox of pod ${pod.metadata.name} has no process to plumb`);
      const present = (await kernel.listPodVeths()).includes(veth);
      if (!present || !sandboxes.some((s) => s.id === current?.id)) {
        await kernel.attachPod({
          hostVeth: veth,
          pid: current.pid,
          address: `${ip}/${gateway.prefix}`,
          gateway: gateway.ip,
        });
      }
      this.plumbed.add(current.id);
    }
    const dir = podDir(this.options.dataDir, uid);
    const hostsFile = join(dir, 'etc-hosts');
    await mkdir(dir, { recursive: true });
    await writeMountedFile(hostsFile, renderPodHosts(pod, ip));
    const mounts: Mount[] = [{ hostPath: hostsFile, containerPath: '/etc/hosts', readOnly: false }];
    if (this.options.dns) {
      const resolvFile = join(dir, 'resolv.conf');
      const conf = buildPodResolvConf(pod, {
        clusterDns: gateway.ip,
        host: this.options.dns.hostResolvConf(),
      });
      await writeMountedFile(resolvFile, renderResolvConf(conf));
      mounts.push({ hostPath: resolvFile, containerPath: '/etc/resolv.conf', readOnly: false });
    }
    this.setHostPorts(uid, podHostPortMappings(pod, ip));
    return { sandbox: current, ip, mounts };
  }

  /**
   * Every host port of this node's pods, for the pod network's rules; undefined until the agent's
   * first pass over its pods (after a restart the rules a previous agent wrote stay until then,
   * rather than dropping every pod's host ports for the seconds the first pass takes).
   */
  hostPorts(): HostPortMapping[] | undefined {
    return this.portsKnown ? [...this.ports.values()].flatMap((p) => p.mappings) : undefined;
  }

  /** The agent's first pass over its pods is done: every host port is known. */
  markHostPortsKnown(): void {
    if (this.portsKnown) return;
    this.portsKnown = true;
    this.options.onHostPortsChanged?.();
  }

  private setHostPorts(uid: string, mappings: HostPortMapping[]): void {
    const key = JSON.stringify(mappings);
    if ((this.ports.get(uid)?.key ?? '[]') === key) return;
    if (mappings.length) this.ports.set(uid, { key, mappings });
    else this.ports.delete(uid);
    if (this.portsKnown) this.options.onHostPortsChanged?.();
  }

  /** After the pod's containers are gone: deletes its veth and frees its address. */
  async release(uid: string): Promise<void> {
    this.setHostPorts(uid, []);
    await this.options.kernel.detachPod(hostVethName(uid));
    const ipam = await this.open();
    await ipam?.release(uid);
  }

  /**
   * Opens the allocator once the node has its block, then rebuilds it from the running sandboxes
   * and deletes veths no running sandbox owns (left by pods removed while the agent was down).
   */
  private async open(): Promise<PodIpam | undefined> {
    if (this.ipam) return this.ipam;
    const cidr = this.options.nodeCidr();
    if (!cidr) return undefined;
    this.opening ??= (async () => {
      const ipam = await PodIpam.open(join(this.options.dataDir, 'network', 'pod-ips.json'), cidr);
      const running = (await this.options.runtime.list()).filter(
        (c) => c.containerName === SANDBOX_CONTAINER && c.state === 'running' && c.labels?.[podIpLabel],
      );
      await ipam.retain(new Map(running.map((c) => [c.podUid, c.labels![podIpLabel]!])));
      const owned = new Set(running.map((c) => hostVethName(c.podUid)));
      for (const veth of await this.options.kernel.listPodVeths()) {
        if (!owned.has(veth)) await this.options.kernel.detachPod(veth);
      }
      this.options.events.emit({
        code: 'agent.network.ipam',
        level: 'info',
        message: `pod addresses from ${cidr}: ${running.length} running sandboxes kept`,
        data: { cidr },
      });
      return ipam;
    })();
    try {
      this.ipam = await this.opening;
    } finally {
      this.opening = undefined;
    }
    return this.ipam;
  }
}
