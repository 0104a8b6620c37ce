import type { AwsClients } from '../aws/clients.js';
import type { BucketRef } from '../aws/s3.js';
import { ensureEtcdBinary } from '../bootstrap/etcd-binary.js';
import type { HostLayout } from '../bootstrap/layout.js';
import { TugboatError } from '../errors.js';
import type { EventSink } from '../events.js';
import type { CertificateAuthority } from '../pki/authority.js';
import type { RemoteShell } from '../ssh/remote-shell.js';
import type { EtcdFormation } from './etcd-formation.js';
import { s3EtcdReleaseLoader } from './etcd-release-s3.js';
import type { MasterBootOptions } from './master-boot.js';
import { type MasterEtcd, runMasterEtcdJoin } from './master-etcd.js';
import {
  type MasterEtcdPath,
  refreshFormedMembers,
  staleMarkerHint,
  waitForAllMasters,
} from './master-etcd-form.js';
import { findOtherMasters } from './master-peers.js';

/** What the master's boot has ready for its etcd member. */
export interface MasterBootEtcdContext {
  /** Join as a replacement or form with the other masters (never 'leave-to-bootstrap' here). */
  readonly path: MasterEtcdPath;
  readonly formation: EtcdFormation | undefined;
  readonly ca: CertificateAuthority;
  readonly layout: HostLayout;
  readonly nodePath: string;
  readonly shell: RemoteShell;
  readonly bucket: BucketRef;
  readonly events: EventSink;
}

/**
 * A booting master's etcd member (store etcd): finds the other masters (all of them, when it
 * forms the cluster from user-data), makes sure it has an etcd binary (package or the pinned
 * release staged in S3), then joins or forms with SSH bootstrap's own member start. Resolves to
 * undefined when its member is registered in a cluster that `tugboat bootstrap` is forming (the
 * boot leaves this master to it); a join without quorum throws ETCD_QUORUM (with a hint when the
 * formation marker looks stale).
 */
export async function bootMasterEtcd(
  options: Pick<
    MasterBootOptions,
    | 'cluster'
    | 'identity'
    | 'spec'
    | 'allMastersTimeoutMs'
    | 'etcdPath'
    | 'etcdPin'
    | 'mode'
    | 'etcdQuorumWaitMs'
  > & { readonly aws: Pick<AwsClients, 'ec2' | 's3' | 'ssm'> },
  ctx: MasterBootEtcdContext,
): Promise<MasterEtcd | undefined> {
  const { aws, cluster, identity } = options;
  const { formation, layout, nodePath, shell, bucket, events, path } = ctx;
  const spec = options.spec ?? {};
  const self = { name: identity.instanceId, address: identity.privateIp };
  const others =
    path === 'form'
      ? await waitForAllMasters(aws.ec2, {
          cluster,
          self,
          count: spec.masters ?? 1,
          events,
          ...(options.allMastersTimeoutMs !== undefined ? { timeoutMs: options.allMastersTimeoutMs } : {}),
        })
      : await findOtherMasters(aws.ec2, cluster, identity.instanceId);
  events.emit({
    code: 'boot.etcd-peers',
    level: 'info',
    message: `store etcd: the other masters are ${others.map((m) => `${m.name} (${m.address})`).join(', ') || 'none'}`,
    data: { others },
  });
  // Alone, the join fails at once (nothing to join): nothing is installed for it. Forming alone
  // (master.count 1, no bootstrap) starts the only member.
  const alone = path !== 'form' && !others.some((m) => m.name !== identity.instanceId);
  const binary = alone
    ? undefined
    : await ensureEtcdBinary(shell, {
        layout,
        source: options.spec?.etcdSource ?? 'auto',
        ...(options.etcdPath ? { packagePath: options.etcdPath } : {}),
        ...(options.etcdPin ? { pin: options.etcdPin } : {}),
        loadRelease: s3EtcdReleaseLoader(aws.s3, bucket, cluster, options.etcdPin),
        events,
      });
  if (binary)
    events.emit({
      code: 'boot.etcd-binary',
      level: 'info',
      message: `etcd: ${binary.source === 'release' ? `the pinned release ${binary.version}` : "the distribution's package"} at ${binary.etcdPath}`,
      data: { ...binary },
    });
  const joined = await runMasterEtcdJoin(shell, {
    cluster,
    self,
    others,
    mayForm: path === 'form',
    ca: ctx.ca,
    layout,
    nodePath,
    mode: options.mode ?? 'auto',
    events,
    ...(binary ? { etcdPath: binary.etcdPath } : {}),
    ...(options.etcdQuorumWaitMs !== undefined ? { quorumWaitMs: options.etcdQuorumWaitMs } : {}),
  }).catch((err: unknown) => {
    if (err instanceof TugboatError && err.code === 'ETCD_BEING_FORMED') return undefined;
    const hint =
      err instanceof TugboatError && err.code === 'ETCD_QUORUM'
        ? staleMarkerHint(cluster, formation, [self.name, ...others.map((m) => m.name)])
        : undefined;
    if (hint)
      throw new TugboatError('ETCD_QUORUM', `${err instanceof Error ? err.message : ''}${hint}`, {
        exitCode: 4,
      });
    throw err;
  });
  if (!joined) {
    events.emit({
      code: 'boot.left-to-bootstrap',
      level: 'info',
      message: `${identity.instanceId}'s etcd member is registered in the cluster being formed and has not started: tugboat bootstrap is forming it and installs this master; the boot installs nothing`,
    });
    return undefined;
  }
  if (path === 'join')
    await refreshFormedMembers(
      aws.ssm,
      cluster,
      formation,
      joined.members.map((m) => m.name),
      events,
    );
  return joined;
}
