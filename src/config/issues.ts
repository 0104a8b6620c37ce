import type { z } from 'zod';
import type { ConfigIssue } from '../errors.js';
import { clusterSpecSchema } from './schema.js';
import { didYouMean } from './suggest.js';

type PathKey = PropertyKey;

/** `['workerGroups', 1, 'desired']` → `workerGroups[1].desired`; odd keys are quoted: `labels["a.b/c"]`. */
export function formatPath(path: readonly PathKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else if (typeof key === 'string' && /^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) out += out ? `.${key}` : key;
    else out += `[${JSON.stringify(String(key))}]`;
  }
  return out;
}

function valueAt(root: unknown, path: readonly PathKey[]): unknown {
  let cur: unknown = root;
  for (const key of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[key];
  }
  return cur;
}

interface SchemaDef {
  readonly type: string;
  readonly shape?: Record<string, { _zod: { def: SchemaDef } }>;
  readonly innerType?: { _zod: { def: SchemaDef } };
  readonly element?: { _zod: { def: SchemaDef } };
}

/** The keys the schema allows for the object at `path` (for "did you mean" on unknown keys). */
export function allowedKeysAt(path: readonly PathKey[]): string[] {
  let def = (clusterSpecSchema as unknown as { _zod: { def: SchemaDef } })._zod.def;
  const unwrap = () => {
    while (def.innerType) def = def.innerType._zod.def;
  };
  unwrap();
  for (const key of path) {
    if (def.type === 'object' && typeof key === 'string' && def.shape?.[key]) def = def.shape[key]._zod.def;
    else if (def.type === 'array' && typeof key === 'number' && def.element) def = def.element._zod.def;
    else return [];
    unwrap();
  }
  return def.type === 'object' && def.shape ? Object.keys(def.shape) : [];
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  // A URL's credentials (`https://user:secret@host`) are not echoed back into errors and logs.
  if (typeof v === 'string') return JSON.stringify(v.replace(/(:\/\/)[^/@\s]*@/g, '$1***@'));
  return JSON.stringify(v);
}

const isCustom = (message: string) => /^[a-z]/.test(message);

/**
 * Turns zod issues into tugboat config issues: lowercase messages that name the bad value and
 * the fix. Unknown keys get a "did you mean" from the schema's keys at that place.
 */
export function fromZodIssues(zodIssues: readonly z.core.$ZodIssue[], input: unknown): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  // A value of the wrong type also fails the checks meant for the right type; report only the type.
  const wrongType = new Set(
    zodIssues.filter((i) => i.code === 'invalid_type').map((i) => formatPath(i.path)),
  );
  for (const issue of zodIssues) {
    if (issue.code !== 'invalid_type' && wrongType.has(formatPath(issue.path))) continue;
    const value = valueAt(input, issue.path);
    const path = formatPath(issue.path);
    const key = issue.path.at(-1);
    switch (issue.code) {
      case 'unrecognized_keys': {
        const allowed = allowedKeysAt(issue.path);
        for (const k of issue.keys) {
          out.push({
            path: formatPath([...issue.path, k]),
            message: `unknown key ${JSON.stringify(k)}: ${didYouMean(k, allowed)}`,
          });
        }
        break;
      }
      case 'invalid_type':
        if (value === undefined) {
          out.push({ path, message: `missing required ${issue.expected}: add ${String(key ?? 'it')}` });
        } else {
          out.push({ path, message: `expected ${issue.expected}, got ${describe(value)}` });
        }
        break;
      case 'invalid_value': {
        const allowed = issue.values.map(String);
        if (value === undefined)
          out.push({ path, message: `missing: add ${String(key)} (one of ${allowed.join(', ')})` });
        else if (isCustom(issue.message))
          out.push({ path, message: `${issue.message} (got ${describe(value)})` });
        else
          out.push({
            path,
            message: `${describe(value)} is not allowed: ${didYouMean(String(value), allowed)}`,
          });
        break;
      }
      case 'too_small':
      case 'too_big': {
        const limit = issue.code === 'too_small' ? issue.minimum : issue.maximum;
        const word = issue.code === 'too_small' ? 'at least' : 'at most';
        if (isCustom(issue.message)) out.push({ path, message: issue.message });
        else if (issue.origin === 'array') {
          const n = Array.isArray(value) ? value.length : 0;
          out.push({ path, message: `has ${n} entries but needs ${word} ${String(limit)}` });
        } else if (issue.origin === 'string') {
          out.push({ path, message: `${describe(value)} must be ${word} ${String(limit)} characters long` });
        } else {
          out.push({ path, message: `${describe(value)} must be ${word} ${String(limit)}` });
        }
        break;
      }
      case 'invalid_key': {
        const inner = issue.issues.find((i) => isCustom(i.message ?? ''))?.message ?? 'is not an allowed key';
        out.push({ path, message: `${inner} (got key ${JSON.stringify(String(key))})` });
        break;
      }
      default:
        if (isCustom(issue.message)) out.push({ path, message: `${issue.message} (got ${describe(value)})` });
        else out.push({ path, message: `${describe(value)} is invalid: ${issue.message.toLowerCase()}` });
    }
  }
  return out;
}
