import type { ClusterSpec } from '../../config/types.js';
import { apiHostName } from './dns.js';
import { taintText } from './settings.js';

/**
 * The spec's settings a booting instance needs, as flags of `boot` in its launch template's
 * user-data: a worker's group labels, taints and whether it takes a pool Elastic IP; a master's
 * pod range, node block prefix, Service range, API DNS name, store and backup schedule. In user-data rather than read
 * from the stack's outputs because instances boot while the stack is still being created (its
 * outputs do not exist yet), and a changed spec is then a new launch template version, which is
 * what the groups launch next. Nothing here is secret. Pure.
 */
export function buildBootArgs(spec: ClusterSpec, role: 'master' | 'worker', group?: string): string[] {
  if (role === 'master') {
    const dns = apiHostName(spec);
    return [
      '--pod-cidr',
      spec.network.podCidr,
      '--node-pod-cidr-prefix',
      String(spec.network.nodePodCidrPrefix),
      '--service-cidr',
      spec.network.serviceCidr,
      ...(dns ? ['--api-dns', dns] : []),
      // A replaced master of an etcd cluster joins the others' etcd (nothing to restore from S3).
      // With the master count, the masters of a new cluster that no SSH bootstrap forms form
      // etcd from user-data (see boot/etcd-formation.ts).
      ...(spec.store === 'etcd' ? ['--store', 'etcd', '--masters', String(spec.master.count)] : []),
      // A replaced master takes the scheduled backups as SSH bootstrap's masters do.
      ...(spec.backup
        ? ['--backup-schedule', spec.backup.schedule, '--backup-retain', String(spec.backup.retain)]
        : []),
      // Where its etcd comes from: the default (auto) is left out, so older templates render the same.
      ...(spec.store === 'etcd' && spec.etcd.source !== 'auto' ? ['--etcd-source', spec.etcd.source] : []),
    ];
  }
  const g = spec.workerGroups.find((w) => w.name === group);
  if (!g) return [];
  const labels = Object.entries(g.labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  return [
    ...(labels ? ['--labels', labels] : []),
    ...g.taints.flatMap((t) => ['--taint', taintText(t)]),
    ...(g.eip ? ['--eip'] : []),
  ];
}
