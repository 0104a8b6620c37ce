/**
 * The agent's EndpointSlice cache, grouped by the Service each slice names in its
 * `kubernetes.io/service-name` label, as kube-proxy's endpoint change tracker groups them. A change
 * names the Services whose endpoints it touched (both, when a slice's label moves it from one
 * Service to another), so the model rebuilds only those.
 */
import type { EndpointSlice } from '../../../kube/index.js';
import type { EndpointLookup } from './model.js';

/** The label naming the Service a slice belongs to. */
export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

function sliceKey(s: EndpointSlice): string {
  return `${s.metadata?.namespace ?? ''}/${s.metadata?.name ?? ''}`;
}

/** `namespace/service` for a slice, or undefined for a slice that names no Service. */
function serviceKeyOf(s: EndpointSlice | undefined): string | undefined {
  const name = s?.metadata?.labels?.[SERVICE_NAME_LABEL];
  return typeof name === 'string' && name ? `${s?.metadata?.namespace ?? ''}/${name}` : undefined;
}

/** EndpointSlices by slice and by Service. */
export class SliceIndex implements EndpointLookup {
  private readonly slices = new Map<string, EndpointSlice>();
  private readonly byService = new Map<string, Map<string, EndpointSlice>>();

  /** Replaces everything (a relist). */
  replace(items: readonly EndpointSlice[]): void {
    this.slices.clear();
    this.byService.clear();
    for (const s of items) this.apply('ADDED', s);
  }

  /** Applies one watch event; returns the Service keys whose endpoints it changed. */
  apply(type: string, slice: EndpointSlice): string[] {
    const key = sliceKey(slice);
    const before = serviceKeyOf(this.slices.get(key));
    const after = type === 'DELETED' ? undefined : serviceKeyOf(slice);
    if (before) this.byService.get(before)?.delete(key);
    if (before && this.byService.get(before)?.size === 0) this.byService.delete(before);
    if (type === 'DELETED') this.slices.delete(key);
    else this.slices.set(key, slice);
    if (after) {
      const group = this.byService.get(after) ?? new Map<string, EndpointSlice>();
      this.byService.set(after, group);
      group.set(key, slice);
    }
    return [...new Set([before, after].filter((k): k is string => k !== undefined))];
  }

  /** Every Service that has slices, with them. */
  *entries(): IterableIterator<[string, readonly EndpointSlice[]]> {
    for (const key of this.byService.keys()) {
      const slices = this.get(key);
      if (slices) yield [key, slices];
    }
  }

  /** A Service's slices, in slice-name order (so a rebuild sees them in a stable order). */
  get(serviceKey: string): readonly EndpointSlice[] | undefined {
    const group = this.byService.get(serviceKey);
    if (!group) return undefined;
    return [...group.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1)).map((e) => e[1]);
  }
}
