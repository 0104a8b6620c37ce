import { isRecord } from '../../registry/validation.js';
import { itemKey, setKey } from './object-fields.js';
import type { TypeNode } from './type-node.js';

/**
 * Merges an applied configuration into the live object by the schema (neither is modified):
 * granular maps field by field, keyed lists item by item (live order kept, new items appended),
 * set lists as a union, atomic lists and maps and scalars replaced. A null in the configuration
 * removes the field.
 */
export function mergeApplied(live: unknown, config: unknown, type: TypeNode): unknown {
  if (isRecord(config) && !type.atomic) {
    const out: Record<string, unknown> = isRecord(live) ? { ...live } : {};
    for (const [k, v] of Object.entries(config)) {
      if (v === null) delete out[k];
      else out[k] = mergeApplied(out[k], v, type.field(k));
    }
    return out;
  }
  if (Array.isArray(config) && type.listType && Array.isArray(live)) {
    if (type.listType === 'set') {
      const seen = new Set(live.map(setKey));
      return [...live, ...config.filter((v) => !seen.has(setKey(v)))];
    }
    const keys = type.keys?.([...live, ...config]) ?? [];
    const out = [...live];
    const index = new Map<string, number>();
    out.forEach((item, i) => {
      try {
        index.set(itemKey(item, keys, '', type.keyDefaults), i);
      } catch {
        // A live item without its keys cannot be addressed; it stays as it is.
      }
    });
    const itemType = type.items();
    for (const item of config) {
      const e = itemKey(item, keys, '', type.keyDefaults);
      const at = index.get(e);
      if (at === undefined) {
        index.set(e, out.length);
        out.push(item);
      } else out[at] = mergeApplied(out[at], item, itemType);
    }
    return out;
  }
  return config;
}
