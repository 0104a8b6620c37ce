import { isIP } from 'node:net';
import { parse } from 'yaml';
import { z } from 'zod';
import { formatPath } from '../config/issues.js';
import { ConfigError, type ConfigIssue } from '../errors.js';

const DNS_NAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i;
const address = z.string().refine((a) => isIP(a) !== 0 || (!/^[\d.]+$/.test(a) && DNS_NAME.test(a)), {
  message: 'must be an IP address or a DNS name',
});
const port = z.number().int().min(1).max(65_535);
const hostKey = z.string().regex(/^(ssh-ed25519|ecdsa-sha2-nistp\d+|ssh-rsa) [A-Za-z0-9+/=]+( .*)?$/, {
  message: 'must be an OpenSSH public key line like "ssh-ed25519 AAAA..."',
});

const endpointSchema = z.strictObject({
  address,
  port: port.optional(),
  user: z.string().min(1).optional(),
  hostKey: hostKey.optional(),
});

const hostSchema = z.strictObject({
  name: z.string().regex(/^[a-z0-9]([a-z0-9.-]{0,61}[a-z0-9])?$/, {
    message: 'must be a lowercase DNS label (letters, digits, dots and dashes)',
  }),
  address,
  port: port.optional(),
  user: z.string().min(1).optional(),
  role: z.enum(['master', 'worker']),
  /** Pinned host key (OpenSSH public key line). */
  hostKey: hostKey.optional(),
});

const inventorySchema = z.strictObject({
  cluster: z.string().regex(/^[a-z][a-z0-9-]{0,39}$/, {
    message: 'must start with a letter and use lowercase letters, digits and dashes (at most 40)',
  }),
  ssh: z
    .strictObject({
      user: z.string().min(1).optional(),
      port: port.optional(),
      privateKeyFile: z.string().min(1).optional(),
      jumpHost: endpointSchema.optional(),
    })
    .optional(),
  runtime: z.enum(['docker', 'process']).optional(),
  /** `pinned` (default): tugboat uploads its pinned Node.js; `host`: the host's own, installed if missing. */
  nodeRuntime: z.enum(['pinned', 'host']).optional(),
  hosts: z.array(hostSchema).min(1),
});

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let cur = root;
  for (const key of path)
    cur = cur !== null && typeof cur === 'object' ? (cur as Record<PropertyKey, unknown>)[key] : undefined;
  return cur;
}

/** A lowercase message that shows the bad value and the fix. */
function describeIssue(issue: z.core.$ZodIssue, value: unknown): string {
  const shown = value === undefined ? 'nothing' : JSON.stringify(value);
  switch (issue.code) {
    case 'unrecognized_keys':
      return `unknown key(s) ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}: remove them`;
    case 'invalid_value':
      return `${shown} is not allowed: use one of ${issue.values.map(String).join(', ')}`;
    case 'invalid_type':
      return value === undefined
        ? `missing: add a ${issue.expected}`
        : `expected a ${issue.expected}, got ${shown}`;
    default:
      return `${shown} ${issue.message.charAt(0).toLowerCase()}${issue.message.slice(1)}`;
  }
}

/** One host of an inventory, with defaults applied. */
export interface BootstrapHost {
  readonly name: string;
  readonly address: string;
  readonly port: number;
  readonly user: string;
  readonly role: 'master' | 'worker';
  readonly hostKey?: string;
  /** Worker group (cluster hosts; inventory files have none). @default none */
  readonly group?: string;
  /** Extra node labels of a worker. @default {} */
  readonly labels?: Readonly<Record<string, string>>;
  /** Taints the worker's node registers with, `key[=value]:Effect`. @default none */
  readonly taints?: readonly string[];
  /**
   * The address other masters dial (etcd peers and clients): the private IP when bootstrap
   * connects to a cluster's public addresses. @default address
   */
  readonly privateAddress?: string;
}

/** The address etcd peers and the other masters use for a master. */
export const peerAddressOf = (host: BootstrapHost): string => host.privateAddress ?? host.address;

/**
 * The hosts to bootstrap over SSH: from an inventory file (on-premises machines, simulated hosts in
 * tests) or from a cluster's instances (`bootstrapHostsFromCluster`). Not the AWS view of a
 * cluster: that is `ClusterInstances` (provision/cluster-instances.ts).
 */
export interface BootstrapHosts {
  readonly cluster: string;
  /** @default 'docker' */
  readonly runtime: 'docker' | 'process';
  /**
   * Which Node.js the services run with: tugboat's pinned runtime (uploaded) or the host's own
   * (installed with its package manager where missing). @default 'pinned'
   */
  readonly nodeRuntime?: 'pinned' | 'host';
  /** SSH private key file; the ssh-agent is used when absent. */
  readonly privateKeyFile?: string;
  readonly jumpHost?: {
    readonly address: string;
    readonly port: number;
    readonly user: string;
    readonly hostKey?: string;
  };
  /** The first master: the one agents and the kubeconfig talk to first. */
  readonly master: BootstrapHost;
  /**
   * Every master in a stable order, `master` first (3 or 5 of them on etcd). @default [master]
   */
  readonly masters?: readonly BootstrapHost[];
  readonly workers: readonly BootstrapHost[];
}

/** Every master of an inventory, the first one first. */
export function mastersOf(inventory: Pick<BootstrapHosts, 'master' | 'masters'>): readonly BootstrapHost[] {
  return inventory.masters && inventory.masters.length > 0 ? inventory.masters : [inventory.master];
}

/**
 * Parses an inventory file (YAML). Throws ConfigError listing every problem with its path, e.g.
 * `hosts[2].role`. One, three or five hosts are masters (several run etcd, in file order, the
 * first one first); names and addresses must be unique.
 */
export function parseBootstrapHosts(text: string, file?: string): BootstrapHosts {
  const fail = (issues: ConfigIssue[]) => new ConfigError(issues, file === undefined ? undefined : { file });
  let raw: unknown;
  try {
    raw = parse(text);
  } catch (err) {
    throw fail([{ path: '', message: `not valid YAML: ${(err as Error).message.split('\n')[0]}` }]);
  }
  const parsed = inventorySchema.safeParse(raw);
  if (!parsed.success) {
    throw fail(
      parsed.error.issues.map((i) => ({
        path: formatPath(i.path),
        message: describeIssue(i, valueAt(raw, i.path)),
      })),
    );
  }
  const inv = parsed.data;
  const issues: ConfigIssue[] = [];
  const masters = inv.hosts.filter((h) => h.role === 'master');
  if (masters.length === 0) {
    issues.push({ path: 'hosts', message: 'has 0 masters: mark exactly one host with role: master' });
  } else if (![1, 3, 5].includes(masters.length)) {
    issues.push({
      path: 'hosts',
      message: `has ${masters.length} masters: use 1, 3 or 5 (etcd needs a majority of them up, so ${masters.length} masters survive no more failures than ${masters.length - 1})`,
    });
  }
  const seen = new Map<string, number>();
  inv.hosts.forEach((h, i) => {
    const where = `${h.address}:${h.port ?? inv.ssh?.port ?? 22}`;
    for (const [key, value] of [
      ['name', h.name],
      ['address', where],
    ] as const) {
      const first = seen.get(`${key}=${value}`);
      if (first !== undefined) {
        issues.push({
          path: `hosts[${i}].${key}`,
          message: `"${value}" is also used by hosts[${first}]: make it unique`,
        });
      } else seen.set(`${key}=${value}`, i);
    }
  });
  if (issues.length > 0) throw fail(issues);
  const user = inv.ssh?.user ?? 'root';
  const defaultPort = inv.ssh?.port ?? 22;
  const host = (h: (typeof inv.hosts)[number]): BootstrapHost => ({
    name: h.name,
    address: h.address,
    port: h.port ?? defaultPort,
    user: h.user ?? user,
    role: h.role,
    ...(h.hostKey ? { hostKey: h.hostKey } : {}),
  });
  const jump = inv.ssh?.jumpHost;
  return {
    cluster: inv.cluster,
    runtime: inv.runtime ?? 'docker',
    ...(inv.nodeRuntime ? { nodeRuntime: inv.nodeRuntime } : {}),
    ...(inv.ssh?.privateKeyFile ? { privateKeyFile: inv.ssh.privateKeyFile } : {}),
    ...(jump
      ? {
          jumpHost: {
            address: jump.address,
            port: jump.port ?? 22,
            user: jump.user ?? user,
            ...(jump.hostKey ? { hostKey: jump.hostKey } : {}),
          },
        }
      : {}),
    master: host(masters[0]!),
    ...(masters.length > 1 ? { masters: masters.map(host) } : {}),
    workers: inv.hosts.filter((h) => h.role === 'worker').map(host),
  };
}
