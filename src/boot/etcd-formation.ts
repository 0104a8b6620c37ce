import type { SsmApi } from '../aws/ssm.js';
import { CLUSTER_TAG } from '../aws/types.js';
import { TugboatError } from '../errors.js';
import { secretsPath } from '../provision/template/storage-names.js';

/**
 * Who forms a new cluster's etcd and whether it is formed, as the masters' boots read it:
 *
 * - `bootstrap`: `tugboat create` forms it over SSH (written before the stack exists, so no
 *   master can boot before it): a master booting while the marker says so leaves everything to
 *   bootstrap.
 * - `formed`: every master was a healthy member once (written by bootstrap, or by the boots that
 *   formed it from user-data): a master booting now is a replacement and joins.
 * - absent: nothing forms it over SSH (`create --no-bootstrap`, the "no client" path): the masters'
 *   boots form it from user-data (etcd's static bootstrapping).
 */
export type EtcdFormation =
  | { readonly state: 'bootstrap'; readonly at: string }
  | {
      readonly state: 'formed';
      /** Who formed it (or, for a cluster older than the marker, who first saw it formed). */
      readonly by: 'bootstrap' | 'boot';
      /** The member names (instance ids) when it was written. */
      readonly members: readonly string[];
      readonly at: string;
    };

/**
 * `/tugboat/<cluster>/master/etcd-formation`: a plain String (nothing secret), under `master/`,
 * which the master role already reads and writes (it publishes its API address the same way) and
 * the worker role cannot read: the marker needs no new permission. `tugboat delete` removes it
 * with every other parameter under `/tugboat/<cluster>/`.
 */
export function etcdFormationParameterName(cluster: string): string {
  return `${secretsPath(cluster)}master/etcd-formation`;
}

/** The marker, or undefined when there is none; a value that is no marker is an error saying how to fix it. */
export async function readEtcdFormation(
  ssm: Pick<SsmApi, 'getSecureString'>,
  cluster: string,
): Promise<EtcdFormation | undefined> {
  const name = etcdFormationParameterName(cluster);
  const text = await ssm.getSecureString(name);
  if (text === undefined) return undefined;
  const parsed = parseEtcdFormation(text);
  if (!parsed)
    throw new TugboatError(
      'ETCD_FORMATION_MARKER',
      `SSM parameter ${name} holds ${JSON.stringify(text.slice(0, 80))}, not an etcd formation marker ({"state":"bootstrap"|"formed",...}): delete it (aws ssm delete-parameter --name ${name}) and run tugboat bootstrap ${cluster}, which writes it again once etcd is formed`,
      { exitCode: 4 },
    );
  return parsed;
}

/** A marker's value, or undefined when the text is not one. Pure. */
export function parseEtcdFormation(text: string): EtcdFormation | undefined {
  let v: Record<string, unknown>;
  try {
    v = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  if (typeof v !== 'object' || v === null || typeof v.at !== 'string') return undefined;
  if (v.state === 'bootstrap') return { state: 'bootstrap', at: v.at };
  if (
    v.state === 'formed' &&
    (v.by === 'bootstrap' || v.by === 'boot') &&
    Array.isArray(v.members) &&
    v.members.every((m) => typeof m === 'string')
  )
    return { state: 'formed', by: v.by, members: v.members as string[], at: v.at };
  return undefined;
}

/** Writes (or replaces) the marker. */
export async function writeEtcdFormation(
  ssm: Pick<SsmApi, 'putString'>,
  cluster: string,
  formation: EtcdFormation,
): Promise<void> {
  await ssm.putString(etcdFormationParameterName(cluster), JSON.stringify(formation), {
    [CLUSTER_TAG]: cluster,
  });
}

/** Removes the marker (none is fine). */
export async function clearEtcdFormation(
  ssm: Pick<SsmApi, 'deleteParameters'>,
  cluster: string,
): Promise<void> {
  await ssm.deleteParameters([etcdFormationParameterName(cluster)]);
}
