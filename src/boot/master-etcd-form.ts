import type { Ec2Api } from '../aws/ec2.js';
import type { SsmApi } from '../aws/ssm.js';
import { etcdClusterHealth } from '../bootstrap/etcd-health.js';
import type { EtcdMember } from '../bootstrap/etcd-install.js';
import type { HostLayout } from '../bootstrap/layout.js';
import { TugboatError } from '../errors.js';
import { type EventSink, silentEvents } from '../events.js';
import type { RemoteShell } from '../ssh/remote-shell.js';
import { sleep } from '../timing.js';
import {
  type EtcdFormation,
  etcdFormationParameterName,
  readEtcdFormation,
  writeEtcdFormation,
} from './etcd-formation.js';
import { findOtherMasters } from './master-peers.js';

/** What a master of an etcd cluster does at boot, from the formation marker (see etcd-formation.ts). */
export type MasterEtcdPath = 'leave-to-bootstrap' | 'join' | 'form';

/**
 * The marker decides: `bootstrap` → leave it to the SSH bootstrap that is forming the cluster;
 * `formed` → join (a replacement); absent → form from user-data, when the boot knows how many
 * masters the cluster has (`--masters`, in every template rendered since the marker exists), else
 * join as before (a template older than the marker: its boots never formed a cluster). Pure.
 */
export function chooseMasterEtcdPath(
  formation: EtcdFormation | undefined,
  masters: number | undefined,
): MasterEtcdPath {
  if (formation?.state === 'bootstrap') return 'leave-to-bootstrap';
  if (formation?.state === 'formed' || masters === undefined) return 'join';
  return 'form';
}

/**
 * A join that found no quorum while the marker says `formed` with members none of which runs
 * now: the marker may be left from a deleted cluster of the same name (a new cluster's masters then
 * wait for an etcd that never existed). The hint to add to the error, or undefined. Pure.
 */
export function staleMarkerHint(
  cluster: string,
  formation: EtcdFormation | undefined,
  running: readonly string[],
): string | undefined {
  if (formation?.state !== 'formed' || formation.members.some((m) => running.includes(m))) return undefined;
  return ` The etcd formation marker says formed (${formation.at}, by ${formation.by}, members ${formation.members.join(', ')}), and none of those instances runs: if ${cluster} is a new cluster reusing the name of a deleted one, the marker is stale — delete it (aws ssm delete-parameter --name ${etcdFormationParameterName(cluster)}) and reboot the masters, which then form etcd.`;
}

/** Options of {@link waitForAllMasters}. */
export interface AllMastersOptions {
  readonly cluster: string;
  readonly self: EtcdMember;
  /** `master.count`. */
  readonly count: number;
  /** @default 600000 (instances of one group launch within minutes) */
  readonly timeoutMs?: number;
  /** @default 5000 */
  readonly intervalMs?: number;
  readonly events?: EventSink;
}

/**
 * The other masters, once all `count` master instances of the cluster exist with a private
 * address (etcd's static bootstrapping needs every member's peer URL before any starts). Bounded:
 * fewer after `timeoutMs`, or more than `count` at any time, is an error saying what was found.
 */
export async function waitForAllMasters(
  ec2: Pick<Ec2Api, 'describeInstances'>,
  options: AllMastersOptions,
): Promise<EtcdMember[]> {
  const { cluster, self, count } = options;
  const events = options.events ?? silentEvents;
  const timeoutMs = options.timeoutMs ?? 600_000;
  const intervalMs = options.intervalMs ?? 5_000;
  const deadline = Date.now() + timeoutMs;
  let told = false;
  for (;;) {
    const others = await findOtherMasters(ec2, cluster, self.name);
    const found = [...others.map((m) => m.name), self.name].sort();
    if (others.length + 1 > count)
      throw new TugboatError(
        'ETCD_FORM_MASTERS',
        `${self.name} cannot form etcd for ${cluster}: ${others.length + 1} master instances run (${found.join(', ')}) but the cluster has ${count}; forming needs exactly the cluster's masters, so terminate the extra instance or run tugboat bootstrap ${cluster}`,
        { exitCode: 4 },
      );
    if (others.length + 1 === count) return others;
    if (Date.now() + intervalMs > deadline)
      throw new TugboatError(
        'ETCD_FORM_MASTERS',
        `${self.name} cannot form etcd for ${cluster}: only ${others.length + 1} of its ${count} master instances had a private address within ${Math.round(timeoutMs / 1000)} s (${found.join(', ')}); check the master auto-scaling groups' activity, then reboot this instance or run tugboat bootstrap ${cluster}`,
        { exitCode: 4 },
      );
    if (!told)
      events.emit({
        code: 'boot.etcd-waiting-masters',
        level: 'info',
        message: `no etcd formed yet and no SSH bootstrap coming: waiting until all ${count} masters of ${cluster} exist to form it (${others.length + 1} so far)`,
        data: { found },
      });
    told = true;
    await sleep(intervalMs);
  }
}

/** Options of {@link markFormedByBoot}. */
export interface MarkFormedOptions {
  readonly cluster: string;
  /** Every master's member, this one included. */
  readonly members: readonly EtcdMember[];
  readonly layout: HostLayout;
  readonly nodePath: string;
  /** @default 120000 */
  readonly timeoutMs?: number;
  /** @default 2000 */
  readonly intervalMs?: number;
  readonly events?: EventSink;
}

/**
 * After a boot formed etcd with the others: once every master is a healthy member (asked from
 * this host), writes the `formed` marker, so later boots join. Each forming master does this; the
 * writes are the same. Not all healthy within `timeoutMs` leaves the marker to the others (or to
 * the next bootstrap) and says so: this master serves anyway. Returns whether it wrote.
 */
export async function markFormedByBoot(
  shell: RemoteShell,
  ssm: Pick<SsmApi, 'putString' | 'getSecureString'>,
  options: MarkFormedOptions,
): Promise<boolean> {
  const events = options.events ?? silentEvents;
  const deadline = Date.now() + (options.timeoutMs ?? 120_000);
  const names = options.members.map((m) => m.name);
  for (;;) {
    const health = await etcdClusterHealth(shell, {
      members: options.members,
      layout: options.layout,
      nodePath: options.nodePath,
    });
    if (health.healthyCount === names.length && health.size === names.length) break;
    if (Date.now() + (options.intervalMs ?? 2_000) > deadline) {
      events.emit({
        code: 'boot.etcd-formed-unmarked',
        level: 'warn',
        message: `etcd of ${options.cluster} is not yet ${names.length}/${names.length} healthy (${health.summary}): the formed marker is left to the other masters or the next tugboat bootstrap`,
      });
      return false;
    }
    await sleep(options.intervalMs ?? 2_000);
  }
  const current = await readEtcdFormation(ssm, options.cluster);
  if (current?.state !== 'formed')
    await writeEtcdFormation(ssm, options.cluster, {
      state: 'formed',
      by: 'boot',
      members: names,
      at: new Date().toISOString(),
    });
  events.emit({
    code: 'boot.etcd-formed',
    level: 'info',
    message: `etcd of ${options.cluster} formed from user-data: ${names.length}/${names.length} members healthy (${names.join(', ')}); later master boots join it`,
    data: { members: names },
  });
  return true;
}

/**
 * After a replacement joined: the `formed` marker's member list follows the membership (so a
 * later lost quorum is not mistaken for a stale marker, see {@link staleMarkerHint}). A write that
 * fails is a warning: the marker's state, which is what boots decide on, is unchanged.
 */
export async function refreshFormedMembers(
  ssm: Pick<SsmApi, 'putString'>,
  cluster: string,
  formation: EtcdFormation | undefined,
  members: readonly string[],
  events: EventSink,
): Promise<void> {
  if (formation?.state !== 'formed') return;
  const now = [...members].sort();
  if ([...formation.members].sort().join(',') === now.join(',')) return;
  await writeEtcdFormation(ssm, cluster, { ...formation, members: now, at: new Date().toISOString() }).catch(
    (err: unknown) =>
      events.emit({
        code: 'boot.etcd-formation-not-updated',
        level: 'warn',
        message: `could not update the etcd formation marker's members: ${(err as Error).message}`,
      }),
  );
}
