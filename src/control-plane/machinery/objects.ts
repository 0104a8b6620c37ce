import type { Condition, KubeObject, OwnerReference, Pod } from '../../kube/index.js';
import { formatTime } from './clock.js';

/** `namespace/name` (or just `name` for cluster-scoped objects): the work-queue key. */
export function keyOf(obj: KubeObject): string {
  const ns = obj.metadata.namespace;
  return ns ? `${ns}/${obj.metadata.name}` : (obj.metadata.name ?? '');
}

/** The owner reference with `controller: true`, if any. */
export function controllerOf(obj: KubeObject): OwnerReference | undefined {
  return obj.metadata.ownerReferences?.find((r) => r.controller === true);
}

/** An owner reference that makes `owner` the controller of a dependent. */
export function controllerRef(owner: KubeObject, apiVersion: string, kind: string): OwnerReference {
  return {
    apiVersion,
    kind,
    name: owner.metadata.name ?? '',
    uid: owner.metadata.uid ?? '',
    controller: true,
    blockOwnerDeletion: true,
  };
}

/** True while the object is being deleted (finalizers pending). */
export function isTerminating(obj: KubeObject): boolean {
  return obj.metadata.deletionTimestamp !== undefined;
}

/** Finds a condition by type. */
export function getCondition(
  conditions: readonly Condition[] | undefined,
  type: string,
): Condition | undefined {
  return conditions?.find((c) => c.type === type);
}

/**
 * Returns `conditions` with `next` set: lastTransitionTime is kept when the status did not change,
 * so repeated reconciles do not churn the object.
 */
export function setCondition(
  conditions: readonly Condition[] | undefined,
  next: Condition,
  now: number,
): Condition[] {
  const list = [...(conditions ?? [])];
  const i = list.findIndex((c) => c.type === next.type);
  const prev = i >= 0 ? list[i] : undefined;
  const merged: Condition = {
    ...next,
    lastTransitionTime: prev && prev.status === next.status ? prev.lastTransitionTime : formatTime(now),
  };
  if (i >= 0) list[i] = merged;
  else list.push(merged);
  return list;
}

/** A pod counts as ready when its Ready condition is True. */
export function isPodReady(pod: Pod): boolean {
  return getCondition(pod.status?.conditions, 'Ready')?.status === 'True';
}

/** Ready for at least `minReadySeconds` at time `now`. */
export function isPodAvailable(pod: Pod, minReadySeconds: number, now: number): boolean {
  const ready = getCondition(pod.status?.conditions, 'Ready');
  if (ready?.status !== 'True') return false;
  if (minReadySeconds <= 0) return true;
  const since = ready.lastTransitionTime ? Date.parse(ready.lastTransitionTime) : Number.NaN;
  return !Number.isNaN(since) && since + minReadySeconds * 1000 <= now;
}

/** A pod that has finished (Succeeded or Failed) no longer counts towards replicas. */
export function isPodFinished(pod: Pod): boolean {
  return pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
}

/** Active = neither finished nor being deleted. */
export function isPodActive(pod: Pod): boolean {
  return !isPodFinished(pod) && !isTerminating(pod);
}

/** Deep copy of JSON data. */
export function clone<T>(value: T): T {
  return structuredClone(value);
}

/** True when any field of `next` differs from the same field of `prev` (extra fields of prev are ignored). */
export function fieldsDiffer(next: object, prev: object | undefined): boolean {
  const p = (prev ?? {}) as Record<string, unknown>;
  return Object.entries(next).some(([k, v]) => JSON.stringify(v) !== JSON.stringify(p[k]));
}

/** The characters Kubernetes uses in generated names and hashes (no vowels, no look-alikes). */
export const nameAlphabet = 'bcdfghjklmnpqrstvwxz2456789';

/** Five characters from the alphabet Kubernetes uses for generated names (no vowels, no look-alikes). */
export function randomSuffix(random: () => number = Math.random, length = 5): string {
  let s = '';
  for (let i = 0; i < length; i++) s += nameAlphabet[Math.floor(random() * nameAlphabet.length)];
  return s;
}
