import { run, tryRun } from './shell.js';

/** A test bridge standing in for one VPC subnet: the subnet's .1 is its gateway address. */
export interface SubnetBridge {
  readonly name: string;
  readonly cidr: string;
  readonly gateway: string;
  readonly prefix: number;
  /** Removes the bridge and its FORWARD rule. */
  destroy(): void;
}

/** Splits `10.0.1.0/24` into its network octets and prefix, refusing anything but IPv4. */
export function parseCidr(cidr: string): { base: number[]; prefix: number } {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/(\d+)$/.exec(cidr);
  if (!m) throw new Error(`subnet cidr ${JSON.stringify(cidr)} is not IPv4 a.b.c.d/n`);
  const base = m.slice(1, 5).map(Number);
  const prefix = Number(m[5]);
  if (prefix < 8 || prefix > 28) throw new Error(`subnet cidr ${cidr} has prefix /${prefix}: use /8 to /28`);
  return { base, prefix };
}

/** The first host address of a subnet (AWS reserves it for the VPC router). */
export function gatewayOf(cidr: string): string {
  const { base } = parseCidr(cidr);
  return `${base[0]}.${base[1]}.${base[2]}.${(base[3] ?? 0) + 1}`;
}

/**
 * Creates bridge `name` in the runner's network namespace with the subnet's gateway address, and
 * lets frames between its ports through FORWARD (a dockerd in this namespace would set the policy
 * to DROP). Forwarding is enabled so hosts on different subnet bridges reach each other, as
 * instances in one VPC do; it is a sysctl of the runner's own namespace, so the machine is untouched.
 */
export function createSubnetBridge(name: string, cidr: string): SubnetBridge {
  const { prefix } = parseCidr(cidr);
  const gateway = gatewayOf(cidr);
  run('ip', ['link', 'add', 'name', name, 'type', 'bridge']);
  const rule = ['FORWARD', '-i', name, '-o', name, '-j', 'ACCEPT'];
  try {
    run('ip', ['addr', 'add', `${gateway}/${prefix}`, 'dev', name]);
    run('ip', ['link', 'set', name, 'up']);
    run('iptables', ['-w', '-I', ...rule]);
    run('sysctl', ['-q', '-w', 'net.ipv4.ip_forward=1']);
  } catch (err) {
    tryRun('ip', ['link', 'del', name]);
    throw err;
  }
  return {
    name,
    cidr,
    gateway,
    prefix,
    destroy() {
      for (let i = 0; i < 10 && tryRun('iptables', ['-w', '-D', ...rule]); i++) {
        // a rule inserted twice is removed twice
      }
      tryRun('ip', ['link', 'del', name]);
    },
  };
}
