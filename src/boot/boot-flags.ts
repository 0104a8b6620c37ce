import { parseLabels, parseTaint } from '../agent/config.js';
import { parseCidr } from '../config/cidr.js';
import { ETCD_SOURCE_NAMES, type EtcdSourceName } from '../config/etcd.js';
import { checkBackupSchedule } from '../control-plane/store/shipping/backup-schedule.js';
import { UsageError } from '../errors.js';

/**
 * The spec's settings a launch template's user-data passes to `boot` (`buildBootArgs`): for a
 * worker its group's labels, taints and pool Elastic IP; for a master the pod and Service ranges
 * and the API's DNS name. Absent fields keep the defaults (a template rendered before they existed).
 */
export interface BootSpecSettings {
  /** Node labels of the worker's group (`workerGroups[].labels`). @default none */
  readonly labels?: Readonly<Record<string, string>>;
  /** Taints of the worker's group, `key[=value]:Effect` (`workerGroups[].taints`). @default none */
  readonly taints?: readonly string[];
  /** The worker takes a free pool Elastic IP (`workerGroups[].eip`). @default false */
  readonly eip?: boolean;
  /** The pod range and each node's block of it (`network.podCidr`, `nodePodCidrPrefix`). @default the control plane's */
  readonly podNetwork?: { readonly podCidr: string; readonly nodePodCidrPrefix: number };
  /** The Service ClusterIP range (`network.serviceCidr`). @default the control plane's 10.96.0.0/12 */
  readonly serviceCidr?: string;
  /** The API's DNS name (`api.dns.recordName`): named in the master's serving certificate. @default none */
  readonly apiDns?: string;
  /**
   * The cluster's store (`store`): with `etcd` a master joins the other masters' etcd instead of
   * restoring the embedded store from S3. @default 'embedded'
   */
  readonly store?: 'embedded' | 'etcd';
  /**
   * `master.count` (store etcd): with no etcd formed and no SSH bootstrap coming, the masters'
   * boots form it once this many exist. @default unknown (a template older than the flag: join only)
   */
  readonly masters?: number;
  /** The spec's `backup`: the master's control plane takes scheduled backups to the cluster's prefix. @default none */
  readonly backup?: { readonly schedule: string; readonly retain: number };
  /** Store etcd: where the master's etcd comes from (`etcd.source`). @default 'auto' */
  readonly etcdSource?: EtcdSourceName;
}

/** The flags as commander gives them. */
export interface BootSpecFlags {
  readonly labels?: string;
  readonly taint?: readonly string[];
  readonly eip?: boolean;
  readonly podCidr?: string;
  readonly nodePodCidrPrefix?: string;
  readonly serviceCidr?: string;
  readonly apiDns?: string;
  readonly store?: string;
  readonly masters?: string;
  readonly backupSchedule?: string;
  readonly backupRetain?: string;
  readonly etcdSource?: string;
}

const DNS_NAME = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?\.)+[a-z]{2,63}$/;

function cidr(flag: string, text: string): string {
  const parsed = parseCidr(text);
  if (!parsed || parsed.hostBitsSet)
    throw new UsageError(`${flag} "${text}" is not an IPv4 network like 10.244.0.0/16`);
  return text;
}

/** `--backup-schedule` / `--backup-retain`, checked as the control plane checks them. */
function backupOf(flags: BootSpecFlags): BootSpecSettings['backup'] {
  if (flags.backupSchedule === undefined) {
    if (flags.backupRetain !== undefined) throw new UsageError('--backup-retain needs --backup-schedule');
    return undefined;
  }
  const problem = checkBackupSchedule(flags.backupSchedule);
  if (problem)
    throw new UsageError(`--backup-schedule "${flags.backupSchedule}" is not a cron schedule (${problem})`);
  const retain = flags.backupRetain === undefined ? 7 : Number(flags.backupRetain);
  if (!Number.isInteger(retain) || retain < 1 || retain > 1000)
    throw new UsageError(`--backup-retain "${flags.backupRetain}" is not a whole number from 1 to 1000`);
  return { schedule: flags.backupSchedule, retain };
}

/** Checks the spec flags of `boot` and turns them into settings; a bad value is a UsageError naming the flag. */
export function parseBootSpecFlags(flags: BootSpecFlags): BootSpecSettings {
  const labels = flags.labels ? parseLabels(flags.labels) : undefined;
  const taints = flags.taint ?? [];
  for (const t of taints) parseTaint(t);
  if (flags.podCidr === undefined && flags.nodePodCidrPrefix !== undefined)
    throw new UsageError('--node-pod-cidr-prefix needs --pod-cidr');
  let podNetwork: BootSpecSettings['podNetwork'];
  if (flags.podCidr !== undefined) {
    const podCidr = cidr('--pod-cidr', flags.podCidr);
    const prefix = Number(flags.nodePodCidrPrefix ?? 24);
    const outer = parseCidr(podCidr)!.cidr.prefix;
    if (!Number.isInteger(prefix) || prefix < outer || prefix > 30)
      throw new UsageError(
        `--node-pod-cidr-prefix "${flags.nodePodCidrPrefix}" must be a whole number from ${outer} (the pod range's) to 30`,
      );
    podNetwork = { podCidr, nodePodCidrPrefix: prefix };
  }
  const apiDns = flags.apiDns?.replace(/\.$/, '');
  if (apiDns !== undefined && (apiDns.length > 253 || !DNS_NAME.test(apiDns)))
    throw new UsageError(`--api-dns "${flags.apiDns}" is not a lowercase DNS name like api.example.com`);
  if (flags.store !== undefined && flags.store !== 'embedded' && flags.store !== 'etcd')
    throw new UsageError(`--store "${flags.store}" is not a store: use embedded or etcd`);
  const masters = flags.masters === undefined ? undefined : Number(flags.masters);
  if (masters !== undefined && ![1, 3, 5].includes(masters))
    throw new UsageError(`--masters "${flags.masters}" is not a master count: use 1, 3 or 5 (master.count)`);
  const etcdSource = flags.etcdSource;
  if (etcdSource !== undefined && !ETCD_SOURCE_NAMES.includes(etcdSource as EtcdSourceName))
    throw new UsageError(
      `--etcd-source "${etcdSource}" is not a source: use ${ETCD_SOURCE_NAMES.join(', ')}`,
    );
  const backup = backupOf(flags);
  return {
    ...(masters !== undefined ? { masters } : {}),
    ...(flags.store === 'etcd' ? { store: 'etcd' as const } : {}),
    ...(etcdSource !== undefined ? { etcdSource: etcdSource as EtcdSourceName } : {}),
    ...(backup ? { backup } : {}),
    ...(labels && Object.keys(labels).length ? { labels } : {}),
    ...(taints.length ? { taints } : {}),
    ...(flags.eip ? { eip: true } : {}),
    ...(podNetwork ? { podNetwork } : {}),
    ...(flags.serviceCidr !== undefined ? { serviceCidr: cidr('--service-cidr', flags.serviceCidr) } : {}),
    ...(apiDns ? { apiDns } : {}),
  };
}
