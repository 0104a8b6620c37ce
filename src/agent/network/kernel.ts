import { spawn } from 'node:child_process';
import { TugboatError } from '../../errors.js';
import {
  defaultHostNetworkLayout,
  type HostNetworkLayout,
  type HostNetworkOp,
  podNetworkNames as names,
  type ObservedHostNetwork,
  type PodAttachment,
} from './host-model.js';
import { renderHostNetworkOps } from './host-plan.js';

/**
 * The one narrow interface between the agent's pod network and the kernel: read tugboat's
 * devices and entries, apply a plan, read and restore iptables rules, plumb a pod's veth. The
 * reconcilers only talk to this, so they are unit-tested with a fake; the real one
 * (`IpKernelNetwork`) is tested in network namespaces.
 */
export interface KernelNetwork {
  /** This agent's bridge, the VXLAN device and the VXLAN device's fdb, neighbours and routes. */
  observe(): Promise<ObservedHostNetwork>;
  /** Applies a plan from `planHostNetwork`. */
  apply(ops: readonly HostNetworkOp[]): Promise<void>;
  /** `iptables-save` of the nat and filter tables. */
  saveRules(): Promise<string>;
  /** `iptables-restore --noflush`: only the chains the text names change, atomically per table. */
  restoreRules(text: string): Promise<void>;
  /** Turns on IPv4 forwarding (pods on other nodes are routed through this host). */
  enableForwarding(): Promise<void>;
  /** Creates the pod's veth pair: host side on the bridge, `eth0` with the address in the pod. */
  attachPod(attachment: PodAttachment): Promise<void>;
  /** Deletes a host veth (its peer in the pod goes with it); absent is fine. */
  detachPod(hostVeth: string): Promise<void>;
  /** Host-side pod veths on this agent's bridge (or on no bridge: left by a deleted one). */
  listPodVeths(): Promise<string[]>;
  /**
   * Deletes the bridge and, with VXLAN in the layout, the VXLAN device (their addresses, routes,
   * neighbours and fdb go too).
   */
  removeDevices(): Promise<void>;
}

/** Runs a program with optional stdin and returns its stdout; rejects with its stderr. */
export type CommandRunner = (argv: readonly string[], stdin?: string) => Promise<string>;

/** A kernel command failed. */
export class KernelCommandError extends TugboatError {
  constructor(
    readonly argv: readonly string[],
    readonly status: number | null,
    stderr: string,
  ) {
    super('KERNEL_COMMAND', `${argv.join(' ')} failed (exit ${status}): ${stderr.trim().slice(-500)}`);
  }
}

/** Runs commands on this host directly (the agent runs as root). */
export const spawnCommand: CommandRunner = (argv, stdin) =>
  new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.on('error', reject);
    child.on('close', (code) => {
      const stdout = Buffer.concat(out).toString('utf8');
      if (code === 0) resolve(stdout);
      else reject(new KernelCommandError(argv, code, Buffer.concat(err).toString('utf8')));
    });
    // A program that fails before reading its input closes the pipe; its exit code tells why.
    child.stdin.on('error', () => {});
    child.stdin.end(stdin ?? '');
  });

interface IpLink {
  ifname: string;
  master?: string;
  address?: string;
  flags?: string[];
  linkinfo?: { info_kind?: string; info_data?: { id?: number; port?: number; local?: string } };
  addr_info?: { family: string; local: string; prefixlen: number }[];
}

/**
 * The real kernel, through iproute2 (`ip`, `bridge`) and iptables-legacy compatible tools, for the
 * bridge (and VXLAN device) of `layout`.
 */
export class IpKernelNetwork implements KernelNetwork {
  constructor(
    private readonly run: CommandRunner = spawnCommand,
    private readonly layout: HostNetworkLayout = defaultHostNetworkLayout,
  ) {}

  async observe(): Promise<ObservedHostNetwork> {
    const links = await this.links();
    const bridge = links.get(this.layout.bridge);
    const vxlan = this.layout.vxlan ? links.get(names.vxlan) : undefined;
    const addresses = (l: IpLink) =>
      (l.addr_info ?? []).filter((a) => a.family === 'inet').map((a) => `${a.local}/${a.prefixlen}`);
    const up = (l: IpLink) => (l.flags ?? []).includes('UP');
    if (vxlan?.linkinfo?.info_kind !== 'vxlan') {
      return {
        ...(bridge ? { bridge: { addresses: addresses(bridge), up: up(bridge) } } : {}),
        fdb: [],
        neighbours: [],
        routes: [],
      };
    }
    const data = vxlan.linkinfo.info_data ?? {};
    const [fdb, neigh, routes] = await Promise.all([
      this.json<{ mac: string; dst?: string }[]>(['bridge', '-j', 'fdb', 'show', 'dev', names.vxlan]),
      this.json<{ dst: string; lladdr?: string; state?: string[] }[]>([
        'ip',
        '-j',
        'neigh',
        'show',
        'dev',
        names.vxlan,
      ]),
      this.json<{ dst: string; gateway?: string }[]>(['ip', '-j', 'route', 'show', 'dev', names.vxlan]),
    ]);
    return {
      ...(bridge ? { bridge: { addresses: addresses(bridge), up: up(bridge) } } : {}),
      vxlan: {
        vni: data.id ?? -1,
        port: data.port ?? -1,
        local: data.local ?? '',
        mac: vxlan.address ?? '',
        addresses: addresses(vxlan),
        up: up(vxlan),
      },
      fdb: fdb
        .filter((f) => f.dst && f.mac !== '00:00:00:00:00:00')
        .map((f) => ({ mac: f.mac, dst: f.dst! })),
      neighbours: neigh
        .filter((n) => n.lladdr && (n.state ?? []).includes('PERMANENT'))
        .map((n) => ({ ip: n.dst, mac: n.lladdr! })),
      routes: routes
        .filter((r) => r.gateway && r.dst.includes('/'))
        .map((r) => ({ cidr: r.dst, via: r.gateway! })),
    };
  }

  async apply(ops: readonly HostNetworkOp[]): Promise<void> {
    const { ip, fdb, routes } = renderHostNetworkOps(ops);
    if (ip.length) await this.run(['ip', '-batch', '-'], `${ip.join('\n')}\n`);
    if (fdb.length) await this.run(['bridge', '-batch', '-'], `${fdb.join('\n')}\n`);
    if (routes.length) await this.run(['ip', '-batch', '-'], `${routes.join('\n')}\n`);
  }

  async saveRules(): Promise<string> {
    const [nat, filter] = await Promise.all([
      this.run(['iptables-save', '-t', 'nat']),
      this.run(['iptables-save', '-t', 'filter']),
    ]);
    return `${nat}\n${filter}`;
  }

  async restoreRules(text: string): Promise<void> {
    await this.run(['iptables-restore', '--noflush', '-w', '5'], text);
  }

  async enableForwarding(): Promise<void> {
    await this.run(['sysctl', '-q', '-w', 'net.ipv4.ip_forward=1']);
  }

  async attachPod(a: PodAttachment): Promise<void> {
    await this.detachPod(a.hostVeth);
    await this.run(
      ['ip', '-batch', '-'],
      // Hairpin mode (as the CNI bridge plugin's hairpinMode): with br_netfilter a pod's packet to
      // its own host port is DNATed on the bridge and must go back out of the port it came in.
      `link add ${a.hostVeth} type veth peer name eth0 netns ${a.pid}\nlink set ${a.hostVeth} master ${this.layout.bridge} up\nlink set ${a.hostVeth} type bridge_slave hairpin on\n`,
    );
    // localhost:hostPort is DNATed to a pod behind the bridge: the kernel routes a 127.0.0.1
    // source off the loopback only with route_localnet (TUGBOAT-POD-INPUT guards the way in).
    await this.run(['sysctl', '-q', '-w', `net.ipv4.conf.${this.layout.bridge}.route_localnet=1`]);
    await this.run(
      ['nsenter', '-t', String(a.pid), '-n', 'ip', '-batch', '-'],
      `addr add ${a.address} dev eth0\nlink set lo up\nlink set eth0 up\nroute add default via ${a.gateway} dev eth0\n`,
    );
  }

  async detachPod(hostVeth: string): Promise<void> {
    if ((await this.links()).has(hostVeth)) await this.run(['ip', 'link', 'del', hostVeth]);
  }

  async listPodVeths(): Promise<string[]> {
    const links = await this.links();
    return [...links.values()]
      .filter((l) => l.ifname.startsWith(names.vethPrefix))
      .filter((l) => l.master === undefined || l.master === this.layout.bridge)
      .map((l) => l.ifname);
  }

  async removeDevices(): Promise<void> {
    const links = await this.links();
    const devices = this.layout.vxlan ? [names.vxlan, this.layout.bridge] : [this.layout.bridge];
    for (const name of devices) if (links.has(name)) await this.run(['ip', 'link', 'del', name]);
  }

  private async links(): Promise<Map<string, IpLink>> {
    const list = await this.json<IpLink[]>(['ip', '-j', '-d', 'addr', 'show']);
    return new Map(list.map((l) => [l.ifname, l]));
  }

  private async json<T>(argv: readonly string[]): Promise<T> {
    const text = (await this.run(argv)).trim();
    return (text ? JSON.parse(text) : []) as T;
  }
}
