import { parseQuantity } from '../../client/quantity.js';
import type {
  LabelSelector,
  Node,
  PersistentVolume,
  PersistentVolumeClaim,
  VolumeNodeSelector,
} from '../../kube/index.js';
import { matchesRequirement, matchesSelector } from './labels.js';

/** The storage a claim asks for, in bytes (0 when unreadable: validation keeps that out). */
export function requestedBytes(claim: PersistentVolumeClaim): number {
  const q = claim.spec.resources?.requests?.storage;
  return q === undefined ? 0 : safeQuantity(q);
}

/** A volume's capacity in bytes. */
export function capacityBytes(pv: PersistentVolume): number {
  const q = pv.spec.capacity?.storage;
  return q === undefined ? 0 : safeQuantity(q);
}

function safeQuantity(q: string): number {
  try {
    const n = parseQuantity(q);
    return Number.isFinite(n) ? n : 0;
  } catch {
    return 0;
  }
}

/** `storageClassName` of a claim or volume, `""` for none. */
export function classOf(obj: PersistentVolumeClaim | PersistentVolume): string {
  return obj.spec.storageClassName ?? '';
}

/** True when `node` satisfies a volume's required node affinity (terms ORed, expressions ANDed). */
export function volumeFitsNode(pv: PersistentVolume, node: Pick<Node, 'metadata'>): boolean {
  const terms = pv.spec.nodeAffinity?.required?.nodeSelectorTerms;
  if (!terms || terms.length === 0) return true;
  return nodeMatchesTerms(terms, node);
}

function nodeMatchesTerms(
  terms: VolumeNodeSelector['nodeSelectorTerms'],
  node: Pick<Node, 'metadata'>,
): boolean {
  const labels = node.metadata.labels ?? {};
  const fields = { 'metadata.name': node.metadata.name ?? '' };
  return terms.some((t) => {
    const exprs = t.matchExpressions ?? [];
    const fieldExprs = t.matchFields ?? [];
    if (exprs.length === 0 && fieldExprs.length === 0) return false;
    return (
      exprs.every((e) => matchesRequirement(e, labels)) &&
      fieldExprs.every((e) => matchesRequirement(e, fields))
    );
  });
}

/** True when the volume's claimRef names this claim (by namespace and name, and uid when set). */
export function isPreboundTo(pv: PersistentVolume, claim: PersistentVolumeClaim): boolean {
  const ref = pv.spec.claimRef;
  if (!ref) return false;
  if (ref.name !== claim.metadata.name || (ref.namespace ?? '') !== (claim.metadata.namespace ?? ''))
    return false;
  return !ref.uid || ref.uid === claim.metadata.uid;
}

/**
 * Why `pv` cannot serve `claim`, or undefined when it can: class, volume mode, access modes
 * (the volume's must include every mode the claim asks for), size, selector, binding, phase.
 */
export function mismatch(pv: PersistentVolume, claim: PersistentVolumeClaim): string | undefined {
  if (pv.metadata.deletionTimestamp) return 'being deleted';
  if (pv.spec.claimRef && !isPreboundTo(pv, claim)) return 'bound to another claim';
  if (!pv.spec.claimRef && pv.status?.phase !== 'Available') return `phase ${pv.status?.phase ?? 'unset'}`;
  if (classOf(pv) !== classOf(claim)) return 'storage class differs';
  if ((pv.spec.volumeMode ?? 'Filesystem') !== (claim.spec.volumeMode ?? 'Filesystem'))
    return 'volume mode differs';
  const modes = new Set(pv.spec.accessModes ?? []);
  if (!(claim.spec.accessModes ?? []).every((m) => modes.has(m))) return 'access modes differ';
  if (capacityBytes(pv) < requestedBytes(claim)) return 'too small';
  const selector = claim.spec.selector as LabelSelector | undefined;
  if (selector && !matchesSelector(selector, pv.metadata.labels)) return 'labels do not match the selector';
  return undefined;
}

/**
 * `findMatchingVolume`: a volume pre-bound to the claim wins; otherwise the smallest volume that
 * fits (ties by name, so the choice is stable). With `node`, only volumes reachable from it.
 */
export function findMatchingVolume(
  claim: PersistentVolumeClaim,
  volumes: readonly PersistentVolume[],
  node?: Pick<Node, 'metadata'>,
): PersistentVolume | undefined {
  const fit = volumes.filter((pv) => !mismatch(pv, claim) && (!node || volumeFitsNode(pv, node)));
  const prebound = fit.find((pv) => isPreboundTo(pv, claim));
  if (prebound) return prebound;
  fit.sort(
    (a, b) =>
      capacityBytes(a) - capacityBytes(b) || String(a.metadata.name).localeCompare(String(b.metadata.name)),
  );
  return fit[0];
}

/** The node the scheduler chose for a WaitForFirstConsumer claim (a claim annotation). */
export const SELECTED_NODE = 'volume.kubernetes.io/selected-node';
