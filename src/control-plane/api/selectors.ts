import type { UntypedObject } from '../../kube/index.js';
import type { ResourceDef } from '../registry/types.js';
import { getPath } from '../registry/validation.js';
import { badRequest } from './status.js';

/** A compiled selector: true when the object matches. */
export type Matcher = (obj: UntypedObject) => boolean;

type Requirement =
  | { op: 'eq' | 'neq'; key: string; value: string }
  | { op: 'in' | 'notin'; key: string; values: string[] }
  | { op: 'exists' | 'notexists'; key: string };

/** Splits on commas that are not inside `( )`. */
function splitTop(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of text) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      parts.push(cur);
      cur = '';
    } else cur += ch;
  }
  parts.push(cur);
  return parts.map((p) => p.trim()).filter(Boolean);
}

const KEY = /^[A-Za-z0-9]([-A-Za-z0-9_./]*[A-Za-z0-9])?$/;
const VALUE = /^[-A-Za-z0-9_.]*$/;

function parseRequirement(part: string, kind: string): Requirement {
  let m = /^(\S+)\s+(in|notin)\s+\((.*)\)$/.exec(part);
  if (m) {
    const values = m[3]!
      .split(',')
      .map((v) => v.trim())
      .filter(Boolean);
    checkKey(m[1]!, kind);
    return { op: m[2] as 'in' | 'notin', key: m[1]!, values };
  }
  m = /^([^!=\s]+)\s*(==|=|!=)\s*(.*)$/.exec(part);
  if (m) {
    checkKey(m[1]!, kind);
    if (kind === 'label' && !VALUE.test(m[3]!))
      throw badRequest(`unable to parse requirement: invalid label value: "${m[3]}"`);
    return { op: m[2] === '!=' ? 'neq' : 'eq', key: m[1]!, value: m[3]! };
  }
  m = /^(!?)\s*(\S+)$/.exec(part);
  if (m && kind === 'label') {
    checkKey(m[2]!, kind);
    return { op: m[1] ? 'notexists' : 'exists', key: m[2]! };
  }
  throw badRequest(
    `unable to parse requirement: "${part}": use key=value, key!=value, key in (a,b), key notin (a,b), key or !key`,
  );
}

function checkKey(key: string, kind: string): void {
  if (!KEY.test(key)) throw badRequest(`invalid ${kind} selector key: "${key}"`);
}

function test(req: Requirement, value: string | undefined): boolean {
  switch (req.op) {
    case 'eq':
      return value === req.value;
    case 'neq':
      return value !== req.value;
    case 'in':
      return value !== undefined && req.values.includes(value);
    case 'notin':
      return value === undefined || !req.values.includes(value);
    case 'exists':
      return value !== undefined;
    case 'notexists':
      return value === undefined;
  }
}

/** Compiles a label selector (`app=web,tier in (a,b),!canary`); empty matches everything. */
export function parseLabelSelector(text: string | null): Matcher {
  if (!text) return () => true;
  const reqs = splitTop(text).map((p) => parseRequirement(p, 'label'));
  return (obj) => {
    const labels = obj.metadata?.labels ?? {};
    return reqs.every((r) => test(r, labels[r.key]));
  };
}

function fieldValue(obj: UntypedObject, field: string): string | undefined {
  const v = getPath(obj, field.split('.'));
  if (v === undefined || v === null)
    return field === 'spec.nodeName' || field.startsWith('status.') ? '' : undefined;
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

/**
 * Compiles a field selector. Only `metadata.name`, `metadata.namespace` and the kind's selectable
 * fields are accepted (as kube-apiserver does); others are a 400 naming the allowed ones.
 */
export function parseFieldSelector(text: string | null, def: ResourceDef): Matcher {
  if (!text) return () => true;
  const allowed = ['metadata.name', 'metadata.namespace', ...(def.selectableFields ?? [])];
  const reqs = splitTop(text).map((p) => parseRequirement(p, 'field'));
  for (const r of reqs) {
    if (r.op !== 'eq' && r.op !== 'neq')
      throw badRequest(`field selector "${text}": only =, == and != are supported`);
    if (!allowed.includes(r.key)) {
      throw badRequest(
        `field label not supported: "${r.key}" for ${def.plural}: use one of ${allowed.join(', ')}`,
      );
    }
  }
  return (obj) => reqs.every((r) => test(r, fieldValue(obj, r.key)));
}
