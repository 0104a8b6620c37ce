import type { SsmApi } from '../aws/ssm.js';
import {
  clearEtcdFormation,
  type EtcdFormation,
  readEtcdFormation,
  writeEtcdFormation,
} from '../boot/etcd-formation.js';
import { mastersOf } from '../bootstrap/bootstrap-hosts.js';
import { bootstrapHostsFromCluster } from '../bootstrap/cluster-hosts.js';
import type { EventSink } from '../events.js';
import type { ClusterInstances } from '../provision/cluster-instances.js';

/** The SSM calls the marker needs. */
export type MarkerSsm = Pick<SsmApi, 'getSecureString' | 'putString' | 'deleteParameters'>;

/** Options of {@link prepareEtcdFormation}. */
export interface PrepareEtcdFormationOptions {
  readonly cluster: string;
  /** The spec's store is etcd (nothing to do otherwise). */
  readonly etcd: boolean;
  /** `create` runs the SSH bootstrap (false: `--no-bootstrap`). */
  readonly bootstrap: boolean;
  /** No stack of this name existed before this create: any marker is left from an earlier cluster. */
  readonly newStack: boolean;
  readonly events: EventSink;
}

/**
 * `create`, before the stack (so no master boots before it): with the SSH bootstrap coming, the
 * marker says `bootstrap` and the masters' boots leave etcd to it; with `--no-bootstrap` there is
 * none, and the boots form etcd from user-data. A cluster that is already formed keeps its
 * marker (create run again); a marker found before a new stack is from a deleted cluster of the same
 * name and is replaced.
 */
export async function prepareEtcdFormation(
  ssm: MarkerSsm,
  options: PrepareEtcdFormationOptions,
): Promise<void> {
  if (!options.etcd) return;
  const { cluster, events } = options;
  let current: EtcdFormation | undefined;
  try {
    current = await readEtcdFormation(ssm, cluster);
  } catch (err) {
    if (!options.newStack) throw err;
    current = undefined;
  }
  if (current?.state === 'formed' && !options.newStack) return;
  if (current?.state === 'formed')
    events.emit({
      code: 'etcd.formation-stale',
      level: 'warn',
      message: `${cluster} has no stack but SSM says its etcd was formed (${current.at}, members ${current.members.join(', ')}): left from an earlier cluster of this name, replaced`,
    });
  if (options.bootstrap) {
    if (current?.state !== 'bootstrap')
      await writeEtcdFormation(ssm, cluster, { state: 'bootstrap', at: new Date().toISOString() });
    return;
  }
  if (current) {
    await clearEtcdFormation(ssm, cluster);
    if (current.state === 'bootstrap' && !options.newStack)
      events.emit({
        code: 'etcd.formation-cleared',
        level: 'warn',
        message: `${cluster}'s masters were left for tugboat bootstrap to form etcd; with --no-bootstrap the masters that boot from now on form it, those already booted wait: run tugboat bootstrap ${cluster}`,
      });
  }
}

/** Options of {@link markEtcdFormed}. */
export interface MarkEtcdFormedOptions {
  readonly cluster: string;
  /** The store bootstrap installed. */
  readonly store: 'embedded' | 'etcd';
  /** Every master's member name (instance id), all of which bootstrap left healthy. */
  readonly members: readonly string[];
  readonly events: EventSink;
}

/**
 * After a bootstrap (create, update, scale, `tugboat bootstrap`, `tugboat upgrade`) that left every
 * master a healthy etcd member: writes the `formed` marker when it is not there yet — also for a
 * cluster formed before the marker existed — so a replaced master's boot joins. Returns whether it wrote.
 */
export async function markEtcdFormed(ssm: MarkerSsm, options: MarkEtcdFormedOptions): Promise<boolean> {
  if (options.store !== 'etcd') return false;
  const current = await readEtcdFormation(ssm, options.cluster).catch(() => undefined);
  if (current?.state === 'formed') return false;
  await writeEtcdFormation(ssm, options.cluster, {
    state: 'formed',
    by: 'bootstrap',
    members: [...options.members],
    at: new Date().toISOString(),
  });
  options.events.emit({
    code: 'etcd.formed-marker',
    level: 'info',
    message: `etcd of ${options.cluster} formed with ${options.members.join(', ')}: a master that boots from now on joins it`,
    data: { members: options.members },
  });
  return true;
}

/** What {@link markEtcdFormedAfterBootstrap} reads of a bootstrap's context. */
export interface FormedContext {
  readonly cluster: string;
  readonly inventory: ClusterInstances;
  /** The spec's store. @default etcd with several masters, as bootstrap's default */
  readonly store?: 'embedded' | 'etcd';
  readonly events: EventSink;
}

/**
 * {@link markEtcdFormed} after a cluster bootstrap or upgrade (or a library caller's own bootstrap
 * function): the masters are the running ones bootstrap installs (one per master group), and only
 * when every one of them succeeded (`failed` names the hosts that did not).
 */
export async function markEtcdFormedAfterBootstrap(
  ssm: MarkerSsm,
  context: FormedContext,
  failed: readonly string[],
): Promise<boolean> {
  if (context.store === 'embedded') return false;
  let masters: string[];
  try {
    // Names only: the address kind does not matter here.
    masters = mastersOf(
      bootstrapHostsFromCluster(context.inventory, { user: 'root', address: 'private' }),
    ).map((m) => m.name);
  } catch {
    // No running master (a caller's bootstrap function on an odd inventory): nothing formed to mark.
    return false;
  }
  if (masters.some((m) => failed.includes(m))) return false;
  return markEtcdFormed(ssm, {
    cluster: context.cluster,
    store: context.store ?? (masters.length > 1 ? 'etcd' : 'embedded'),
    members: masters,
    events: context.events,
  });
}
