import { type CelMeter, MeteredList, MeteredMap } from './cel-cost.js';
import { isObject, type JsonSchema, MAX_VALUE_DEPTH } from './schema-types.js';

/**
 * Converts a (pruned, defaulted) JSON value into what a rule sees, typed by its schema as
 * upstream's UnstructuredToVal: `integer` (and whole numbers under int-or-string) become CEL int
 * (bigint), `number` stays a double, objects and maps become CEL maps, arrays lists. Lists and
 * maps are metered so that iterating them spends the write's cost budget; converting charges one
 * unit per value (and throws CelCostError past the budget).
 */
export function toCel(schema: JsonSchema | undefined, value: unknown, meter: CelMeter, depth = 0): unknown {
  if (value === null || value === undefined) return null;
  if (depth > MAX_VALUE_DEPTH) return null;
  meter.charge(1);
  if (typeof value === 'number') {
    const int = schema?.type === 'integer' || schema?.['x-kubernetes-int-or-string'] || !schema?.type;
    return int && Number.isSafeInteger(value) && schema?.type !== 'number' ? BigInt(value) : value;
  }
  if (Array.isArray(value))
    return MeteredList.of2(
      value.map((v) => toCel(schema?.items, v, meter, depth + 1)),
      meter,
    );
  if (isObject(value)) {
    const entries: [string, unknown][] = [];
    const props = schema?.properties;
    const extra = isObject(schema?.additionalProperties) ? schema.additionalProperties : undefined;
    for (const [k, v] of Object.entries(value)) {
      const sub = props?.[k] ?? extra;
      if (sub || !props) entries.push([k, toCel(sub, v, meter, depth + 1)]);
    }
    return new MeteredMap(entries, meter);
  }
  return value;
}
