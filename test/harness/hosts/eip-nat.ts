import { readFileSync } from 'node:fs';
import { run, tryRun } from './shell.js';

/**
 * Where one Elastic IP leads now: the private IP of the running host it is associated with, or
 * nowhere (`undefined`: not associated, or its instance is gone), where AWS drops its traffic.
 */
export interface EipRoute {
  readonly publicIp: string;
  readonly privateIp: string | undefined;
}

/** Our chains (nat OUTPUT, nat POSTROUTING, filter OUTPUT); nobody else writes them. */
const NAT_OUT = 'TBH-EIP-OUT';
const NAT_POST = 'TBH-EIP-POST';
const DROP = 'TBH-EIP-DROP';
const JUMPS = [
  ['nat', 'OUTPUT', NAT_OUT],
  ['nat', 'POSTROUTING', NAT_POST],
  ['filter', 'OUTPUT', DROP],
] as const;
const ROUTE_LOCALNET = 'net.ipv4.conf.all.route_localnet';

/**
 * The rules of one namespace as `iptables-restore --noflush` input (pure). An associated address
 * is DNATed to its instance's private IP, as EC2's edge translates it; connections the namespace
 * itself opens to a 127/8 address (moto hands out EIPs as 127.x.y.z) leave with source 127.0.0.1,
 * so they are masqueraded to the outgoing interface's address, as kube-proxy does for NodePorts
 * on localhost. An address without an instance is dropped, as AWS drops traffic to it.
 */
export function renderEipRules(routes: readonly EipRoute[]): string {
  const sorted = [...routes].sort((a, b) => a.publicIp.localeCompare(b.publicIp));
  const lines = ['*nat', `:${NAT_OUT} - [0:0]`, `:${NAT_POST} - [0:0]`];
  for (const r of sorted)
    if (r.privateIp) lines.push(`-A ${NAT_OUT} -d ${r.publicIp}/32 -j DNAT --to-destination ${r.privateIp}`);
  lines.push(`-A ${NAT_POST} -s 127.0.0.0/8 ! -o lo -m conntrack --ctstate DNAT -j MASQUERADE`, 'COMMIT');
  lines.push('*filter', `:${DROP} - [0:0]`);
  for (const r of sorted) if (!r.privateIp) lines.push(`-A ${DROP} -d ${r.publicIp}/32 -j DROP`);
  lines.push('COMMIT', '');
  return lines.join('\n');
}

/** Checks an address moto handed out before it becomes a rule: IPv4, and never the runner's own 127.0.0.1. */
export function checkEipAddress(ip: string): void {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(ip);
  if (!m || m.slice(1).some((o) => Number(o) > 255))
    throw new Error(`elastic ip ${JSON.stringify(ip)} from the emulator is not an IPv4 address`);
  if (ip === '127.0.0.1' || ip.startsWith('127.0.0.'))
    throw new Error(
      `elastic ip ${ip} from the emulator is in 127.0.0.0/24, where the runner's own services listen: run again (moto picks them at random)`,
    );
}

/** A namespace the rules go into: a host's named netns, or `undefined` for the runner's own. */
type Netns = string | undefined;

function inNetns(netns: Netns, command: string, args: readonly string[], input?: string): string {
  return netns === undefined
    ? run(command, args, input)
    : run('nsenter', [`--net=/run/netns/${netns}`, command, ...args], input);
}

/**
 * Elastic IPs as AWS routes them, for hosts in network namespaces: moto gives every EIP a
 * 127.x.y.z address, which each namespace would take for its own loopback. In every host's
 * namespace and in the runner's (the e2e confinement's, never the machine's), an associated EIP
 * is translated to its instance's private IP and an unassociated one is dropped; when an address
 * moves (a new master claims the master EIP), the connections tracked to it are forgotten, so the
 * next packet of an old connection reaches the new instance — which resets it, as on AWS.
 */
export class EipNat {
  /** Rules last applied, per namespace ('' for the runner's). */
  private readonly applied = new Map<string, string>();
  private routes = new Map<string, string | undefined>();
  private runnerLocalnet: string | undefined;

  constructor(private readonly log: (line: string) => void = () => {}) {
    // The runner's namespace gets rules and a sysctl: only the e2e confinement's, which dies with the run.
    if (process.env.TUGBOAT_E2E_CONFINED !== '1')
      throw new Error('elastic IP routing changes the runner namespace: run it inside the e2e confinement');
  }

  /** The address → private IP map now in force. */
  current(): ReadonlyMap<string, string | undefined> {
    return this.routes;
  }

  /**
   * Brings the runner's and every given host namespace to `routes`: namespaces new to it get the
   * sysctl and jumps, changed rules are applied whole, and tracked connections of every address
   * whose target changed are deleted in every namespace.
   */
  update(routes: readonly EipRoute[], hostNetns: readonly string[]): void {
    for (const r of routes) checkEipAddress(r.publicIp);
    const next = new Map(routes.map((r) => [r.publicIp, r.privateIp]));
    const moved = [...new Set([...next.keys(), ...this.routes.keys()])].filter(
      (ip) => next.get(ip) !== this.routes.get(ip),
    );
    const rules = renderEipRules(routes);
    const all: Netns[] = [undefined, ...hostNetns];
    for (const key of [...this.applied.keys()])
      if (key !== '' && !hostNetns.includes(key)) this.applied.delete(key);
    for (const netns of all) {
      const key = netns ?? '';
      if (!this.applied.has(key)) this.prepare(netns);
      if (this.applied.get(key) !== rules) {
        inNetns(netns, 'iptables-restore', ['-w', '--noflush'], rules);
        this.applied.set(key, rules);
      }
      for (const ip of moved) {
        // Exit 1 when there was nothing to delete.
        if (netns === undefined) tryRun('conntrack', ['-D', '-d', ip]);
        else tryRun('nsenter', [`--net=/run/netns/${netns}`, 'conntrack', '-D', '-d', ip]);
      }
    }
    for (const ip of moved) this.log(`elastic ip ${ip} now leads to ${next.get(ip) ?? 'nowhere (dropped)'}`);
    this.routes = next;
  }

  /** Removes the jumps and chains from the runner's namespace and gives its sysctl back. */
  close(): void {
    if (!this.applied.has('')) return;
    for (const [table, chain, target] of JUMPS)
      for (let i = 0; i < 10 && tryRun('iptables', ['-w', '-t', table, '-D', chain, '-j', target]); i++) {
        // a jump inserted twice is removed twice
      }
    for (const [table, , target] of JUMPS) {
      tryRun('iptables', ['-w', '-t', table, '-F', target]);
      tryRun('iptables', ['-w', '-t', table, '-X', target]);
    }
    if (this.runnerLocalnet !== undefined)
      run('sysctl', ['-q', '-w', `${ROUTE_LOCALNET}=${this.runnerLocalnet}`]);
    this.applied.clear();
  }

  private prepare(netns: Netns): void {
    if (netns === undefined)
      this.runnerLocalnet = readFileSync('/proc/sys/net/ipv4/conf/all/route_localnet', 'utf8').trim();
    // Lets a connection from 127.0.0.1 be rerouted out of the namespace once DNAT changed its target.
    inNetns(netns, 'sysctl', ['-q', '-w', `${ROUTE_LOCALNET}=1`]);
    inNetns(netns, 'iptables-restore', ['-w', '--noflush'], renderEipRules([]));
    for (const [table, chain, target] of JUMPS) {
      const jump = ['-w', '-t', table, '-C', chain, '-j', target];
      const present =
        netns === undefined
          ? tryRun('iptables', jump)
          : tryRun('nsenter', [`--net=/run/netns/${netns}`, 'iptables', ...jump]);
      if (!present) inNetns(netns, 'iptables', ['-w', '-t', table, '-I', chain, '1', '-j', target]);
    }
  }
}
