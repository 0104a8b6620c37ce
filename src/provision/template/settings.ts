import type { EtcdSettings } from '../../config/etcd.js';
import type { ClusterSpec } from '../../config/types.js';
import { apiHostName } from './dns.js';

/**
 * What the commands that work on a running cluster by name (`bootstrap NAME`, `scale`, `ssh`,
 * `uninstall NAME`) need from the spec, kept in the stack as the `BootstrapSettings` output so
 * they work without the spec file (another CI job, another laptop).
 */
export interface ClusterSettings {
  /** Login user on the instances (`ssh.user`). */
  readonly sshUser: string;
  /** Which address SSH connects to (`ssh.address`). */
  readonly sshAddress: 'public' | 'private';
  /** Node labels per worker group (`workerGroups[].labels`), only groups that have some. */
  readonly groupLabels: Readonly<Record<string, Readonly<Record<string, string>>>>;
  /**
   * Node taints per worker group (`workerGroups[].taints`) as the agent's `--taint` takes them,
   * `key[=value]:Effect`; only groups that have some. Absent in older stacks.
   */
  readonly groupTaints?: Readonly<Record<string, readonly string[]>>;
  /** The store backend (`store`, resolved); absent in older stacks (then: etcd with several masters). */
  readonly store?: 'embedded' | 'etcd';
  /** The API's DNS name (`api.dns.recordName`): in the API certificate and the kubeconfig. */
  readonly apiDns?: string;
  /** Where the masters' etcd comes from (`etcd`), store etcd only; absent in older stacks (then: auto). */
  readonly etcd?: EtcdSettings;
  /** Groups whose instances take pool EIPs (`master` for the master). */
  readonly eipGroups: readonly string[];
  /** The pod range and each node's block prefix (`network.podCidr`, `nodePodCidrPrefix`); absent in older stacks. */
  readonly podNetwork?: PodNetworkSettings;
  /** The master runs the node agent too (`master.schedulable`); absent in older stacks (then: only without workers). */
  readonly masterSchedulable?: boolean;
  /**
   * Scheduled backups (`backup`): an embedded master ships its store to the cluster's S3 prefix and
   * backs it up on this schedule; an etcd master (nothing shipped) backs etcd up there. Absent: no
   * shipping and no backups from SSH bootstrap.
   */
  readonly backup?: BackupSettings;
}

/** The spec's `backup`, as bootstrap passes it to the control plane. */
export interface BackupSettings {
  readonly schedule: string;
  readonly retain: number;
}

/** What bootstrap passes to the control plane (node IPAM) and the agents (pod network). */
export interface PodNetworkSettings {
  readonly podCidr: string;
  readonly nodePodCidrPrefix: number;
  /** Where Services get their cluster IPs (`network.serviceCidr`); absent in older stacks (the server's 10.96.0.0/12). */
  readonly serviceCidr?: string;
}

/** A spec taint as the agent's `--taint` flag takes it: `key[=value]:Effect`. Pure. */
export function taintText(t: {
  readonly key: string;
  readonly value?: string;
  readonly effect: string;
}): string {
  return `${t.key}${t.value ? `=${t.value}` : ''}:${t.effect}`;
}

/** The settings of a spec. Pure. */
export function buildClusterSettings(spec: ClusterSpec): ClusterSettings {
  const groupLabels: Record<string, Record<string, string>> = {};
  for (const g of spec.workerGroups) if (Object.keys(g.labels).length > 0) groupLabels[g.name] = g.labels;
  const groupTaints: Record<string, string[]> = {};
  for (const g of spec.workerGroups) if (g.taints.length > 0) groupTaints[g.name] = g.taints.map(taintText);
  const dns = apiHostName(spec);
  return {
    sshUser: spec.ssh.user,
    sshAddress: spec.ssh.address,
    groupLabels,
    ...(Object.keys(groupTaints).length > 0 ? { groupTaints } : {}),
    store: spec.store,
    ...(dns ? { apiDns: dns } : {}),
    ...(spec.store === 'etcd'
      ? { etcd: { source: spec.etcd.source, ...(spec.etcd.mirror ? { mirror: spec.etcd.mirror } : {}) } }
      : {}),
    eipGroups: [
      ...(spec.master.eip ? ['master'] : []),
      ...spec.workerGroups.filter((g) => g.eip).map((g) => g.name),
    ],
    podNetwork: {
      podCidr: spec.network.podCidr,
      nodePodCidrPrefix: spec.network.nodePodCidrPrefix,
      serviceCidr: spec.network.serviceCidr,
    },
    masterSchedulable: spec.master.schedulable,
    ...(spec.backup ? { backup: { schedule: spec.backup.schedule, retain: spec.backup.retain } } : {}),
  };
}

/** The settings as the output's value: compact JSON with sorted keys, so the template is deterministic. */
export function renderClusterSettings(settings: ClusterSettings): string {
  return JSON.stringify({
    sshUser: settings.sshUser,
    sshAddress: settings.sshAddress,
    groupLabels: settings.groupLabels,
    ...(settings.groupTaints ? { groupTaints: settings.groupTaints } : {}),
    ...(settings.store ? { store: settings.store } : {}),
    ...(settings.apiDns ? { apiDns: settings.apiDns } : {}),
    ...(settings.etcd
      ? {
          etcd: {
            source: settings.etcd.source,
            ...(settings.etcd.mirror ? { mirror: settings.etcd.mirror } : {}),
          },
        }
      : {}),
    eipGroups: settings.eipGroups,
    ...(settings.podNetwork ? { podNetwork: settings.podNetwork } : {}),
    ...(settings.masterSchedulable !== undefined ? { masterSchedulable: settings.masterSchedulable } : {}),
    ...(settings.backup
      ? { backup: { schedule: settings.backup.schedule, retain: settings.backup.retain } }
      : {}),
  });
}

const isStringRecord = (v: unknown): v is Record<string, string> =>
  typeof v === 'object' && v !== null && Object.values(v).every((x) => typeof x === 'string');

/**
 * Reads the output's value back; undefined when it is not settings tugboat wrote (a stack made by
 * an older tugboat has no such output: the caller then asks for the spec file).
 */
export function parseClusterSettings(text: string | undefined): ClusterSettings | undefined {
  if (!text) return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return undefined;
  }
  const r = raw as Partial<Record<keyof ClusterSettings, unknown>>;
  if (typeof r !== 'object' || r === null || typeof r.sshUser !== 'string') return undefined;
  if (r.sshAddress !== 'public' && r.sshAddress !== 'private') return undefined;
  const labels = r.groupLabels;
  if (typeof labels !== 'object' || labels === null || !Object.values(labels).every(isStringRecord))
    return undefined;
  if (!Array.isArray(r.eipGroups) || !r.eipGroups.every((g) => typeof g === 'string')) return undefined;
  const net = r.podNetwork as Partial<PodNetworkSettings> | undefined;
  const podNetwork =
    net && typeof net.podCidr === 'string' && typeof net.nodePodCidrPrefix === 'number'
      ? {
          podCidr: net.podCidr,
          nodePodCidrPrefix: net.nodePodCidrPrefix,
          ...(typeof net.serviceCidr === 'string' ? { serviceCidr: net.serviceCidr } : {}),
        }
      : undefined;
  const taints = r.groupTaints;
  const taintsOk =
    typeof taints === 'object' &&
    taints !== null &&
    Object.values(taints).every((v) => Array.isArray(v) && v.every((t) => typeof t === 'string'));
  return {
    sshUser: r.sshUser,
    sshAddress: r.sshAddress,
    groupLabels: labels as Record<string, Record<string, string>>,
    ...(taintsOk ? { groupTaints: taints as Record<string, string[]> } : {}),
    ...(r.store === 'embedded' || r.store === 'etcd' ? { store: r.store } : {}),
    ...(typeof r.apiDns === 'string' && r.apiDns ? { apiDns: r.apiDns } : {}),
    ...parseEtcd(r.etcd),
    eipGroups: r.eipGroups as string[],
    ...(podNetwork ? { podNetwork } : {}),
    ...(typeof r.masterSchedulable === 'boolean' ? { masterSchedulable: r.masterSchedulable } : {}),
    ...parseBackup(r.backup),
  };
}

function parseEtcd(raw: unknown): { etcd?: EtcdSettings } {
  const e = raw as Partial<EtcdSettings> | undefined;
  if (typeof e !== 'object' || e === null) return {};
  if (e.source !== 'auto' && e.source !== 'release' && e.source !== 'package') return {};
  return {
    etcd: { source: e.source, ...(typeof e.mirror === 'string' && e.mirror ? { mirror: e.mirror } : {}) },
  };
}

function parseBackup(raw: unknown): { backup?: BackupSettings } {
  const b = raw as Partial<BackupSettings> | undefined;
  return b && typeof b.schedule === 'string' && typeof b.retain === 'number'
    ? { backup: { schedule: b.schedule, retain: b.retain } }
    : {};
}
