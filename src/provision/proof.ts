import type { AwsClients } from '../aws/clients.js';
import { findLeftovers, RESOURCE_KINDS, type ResourceKind } from './leftovers.js';

/** The structured result of checking that nothing of a cluster is left. */
export interface DeletionProof {
  readonly cluster: string;
  readonly clean: boolean;
  readonly checkedAt: string;
  /** Every resource kind that was described, with how many tagged ones were found. */
  readonly checks: readonly { readonly kind: ResourceKind; readonly found: number }[];
  readonly remaining: readonly { readonly kind: ResourceKind; readonly id: string }[];
}

/** Lists every tagged resource kind again and says whether anything of the cluster is left. */
export async function proveDeleted(
  aws: AwsClients,
  cluster: string,
  now: () => Date = () => new Date(),
): Promise<DeletionProof> {
  const left = await findLeftovers(aws, cluster);
  return {
    cluster,
    clean: left.length === 0,
    checkedAt: now().toISOString(),
    checks: RESOURCE_KINDS.map((kind) => ({ kind, found: left.filter((l) => l.kind === kind).length })),
    remaining: left.map((l) => ({ kind: l.kind, id: l.id })),
  };
}
