import type { AwsClients } from '../aws/clients.js';
import { findLeftoversAndKept, RESOURCE_KINDS, type ResourceKind } from './leftovers.js';

/** The structured result of checking that nothing of a cluster is left. */
export interface DeletionProof {
  readonly cluster: string;
  readonly clean: boolean;
  readonly checkedAt: string;
  /** Every resource kind that was described, with how many tagged ones were found. */
  readonly checks: readonly { readonly kind: ResourceKind; readonly found: number }[];
  readonly remaining: readonly { readonly kind: ResourceKind; readonly id: string }[];
  /** Backups left in S3 on purpose (`keepBackups`); they do not make the proof unclean. */
  readonly keptBackups: number;
}

/**
 * Lists every resource kind again (tagged resources, S3 objects, parameters, KMS keys: a key
 * pending deletion counts as gone) and says whether anything of the cluster is left.
 */
export async function proveDeleted(
  aws: AwsClients,
  cluster: string,
  now: () => Date = () => new Date(),
  options: { readonly keepBackups?: boolean } = {},
): Promise<DeletionProof> {
  const { left, kept } = await findLeftoversAndKept(aws, cluster, options);
  return {
    cluster,
    clean: left.length === 0,
    checkedAt: now().toISOString(),
    checks: RESOURCE_KINDS.map((kind) => ({ kind, found: left.filter((l) => l.kind === kind).length })),
    remaining: left.map((l) => ({ kind: l.kind, id: l.id })),
    keptBackups: kept,
  };
}
