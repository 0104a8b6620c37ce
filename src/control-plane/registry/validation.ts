import type { StatusCause, UntypedObject } from '../../kube/index.js';

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;

/** Problems with `name` as a DNS-1123 subdomain (most object names); empty when valid. */
export function checkSubdomain(name: string, field: string): StatusCause[] {
  if (name.length > 253) return [required(field, `must be no more than 253 characters (got ${name.length})`)];
  if (!DNS1123_SUBDOMAIN.test(name)) {
    return [
      {
        reason: 'FieldValueInvalid',
        field,
        message: `Invalid value: "${name}": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character`,
      },
    ];
  }
  return [];
}

/** Problems with `name` as a DNS-1123 label (namespaces, services, container names). */
export function checkLabelName(name: string, field: string): StatusCause[] {
  if (name.length > 63 || !DNS1123_LABEL.test(name)) {
    return [
      {
        reason: 'FieldValueInvalid',
        field,
        message: `Invalid value: "${name}": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', start and end with an alphanumeric character, and be at most 63 characters`,
      },
    ];
  }
  return [];
}

function required(field: string, message = 'Required value'): StatusCause {
  return { reason: 'FieldValueRequired', field, message };
}

/** Checks label keys and values (`prefix/name` keys, 63-character values). */
export function checkLabels(labels: unknown, field: string): StatusCause[] {
  if (labels === undefined || labels === null) return [];
  if (typeof labels !== 'object' || Array.isArray(labels)) {
    return [
      { reason: 'FieldValueTypeInvalid', field, message: 'must be a map of string keys to string values' },
    ];
  }
  const causes: StatusCause[] = [];
  for (const [k, v] of Object.entries(labels)) {
    const slash = k.lastIndexOf('/');
    const prefix = slash >= 0 ? k.slice(0, slash) : '';
    const name = slash >= 0 ? k.slice(slash + 1) : k;
    if ((prefix && checkSubdomain(prefix, field).length) || name.length > 63 || !QUALIFIED_NAME.test(name)) {
      causes.push({
        reason: 'FieldValueInvalid',
        field,
        message: `Invalid value: "${k}": name part must be a valid label key`,
      });
    }
    if (typeof v !== 'string' || v.length > 63 || !LABEL_VALUE.test(v)) {
      causes.push({
        reason: 'FieldValueInvalid',
        field: `${field}.${k}`,
        message: `Invalid value: ${JSON.stringify(v)}: a valid label value must be 63 characters or less, alphanumeric, '-', '_' or '.'`,
      });
    }
  }
  return causes;
}

/** Checks that annotations are a string map (values may be long, within the object limit). */
export function checkAnnotations(annotations: unknown, field: string): StatusCause[] {
  if (annotations === undefined || annotations === null) return [];
  if (typeof annotations !== 'object' || Array.isArray(annotations)) {
    return [
      { reason: 'FieldValueTypeInvalid', field, message: 'must be a map of string keys to string values' },
    ];
  }
  return Object.entries(annotations)
    .filter(([, v]) => typeof v !== 'string')
    .map(([k]) => ({ reason: 'FieldValueTypeInvalid', field: `${field}.${k}`, message: 'must be a string' }));
}

/** Checks a pod template's or pod's `spec` (containers with names and images, unique names). */
export function checkPodSpec(spec: unknown, field: string): StatusCause[] {
  if (!isRecord(spec)) return [required(field)];
  const containers = spec.containers;
  if (!Array.isArray(containers) || containers.length === 0) return [required(`${field}.containers`)];
  const causes: StatusCause[] = [];
  const seen = new Set<string>();
  containers.forEach((c, i) => {
    const at = `${field}.containers[${i}]`;
    if (!isRecord(c)) {
      causes.push({ reason: 'FieldValueTypeInvalid', field: at, message: 'must be an object' });
      return;
    }
    if (typeof c.name !== 'string' || !c.name) causes.push(required(`${at}.name`));
    else {
      causes.push(...checkLabelName(c.name, `${at}.name`));
      if (seen.has(c.name))
        causes.push({
          reason: 'FieldValueDuplicate',
          field: `${at}.name`,
          message: `Duplicate value: "${c.name}"`,
        });
      seen.add(c.name);
    }
    if (typeof c.image !== 'string' || !c.image.trim()) causes.push(required(`${at}.image`));
    if (c.command !== undefined && !isStringArray(c.command)) {
      causes.push({
        reason: 'FieldValueTypeInvalid',
        field: `${at}.command`,
        message: 'must be a list of strings',
      });
    }
  });
  return causes;
}

/** Checks that a workload's selector matches its template labels. */
export function checkSelectorMatches(obj: UntypedObject, field: string): StatusCause[] {
  const spec = obj.spec;
  if (!isRecord(spec)) return [required('spec')];
  const selector = spec.selector;
  const labels = getPath(obj, ['spec', 'template', 'metadata', 'labels']);
  if (!isRecord(selector) || (!isRecord(selector.matchLabels) && !Array.isArray(selector.matchExpressions))) {
    return [required(`${field}.selector`)];
  }
  const causes = [...checkLabels(selector.matchLabels, `${field}.selector.matchLabels`)];
  const want = isRecord(selector.matchLabels) ? selector.matchLabels : {};
  const have = isRecord(labels) ? labels : {};
  if (Object.entries(want).some(([k, v]) => have[k] !== v)) {
    causes.push({
      reason: 'FieldValueInvalid',
      field: `${field}.template.metadata.labels`,
      message: `Invalid value: ${JSON.stringify(have)}: \`selector\` does not match template \`labels\``,
    });
  }
  return causes;
}

/** Requires a non-negative integer at `value` when present. */
export function checkNonNegativeInt(value: unknown, field: string): StatusCause[] {
  if (value === undefined || value === null) return [];
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    return [
      {
        reason: 'FieldValueInvalid',
        field,
        message: `Invalid value: ${JSON.stringify(value)}: must be greater than or equal to 0`,
      },
    ];
  }
  return [];
}

/** True for a plain JSON object (not null, not an array). */
export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isStringArray(v: unknown): boolean {
  return Array.isArray(v) && v.every((x) => typeof x === 'string');
}

/** Reads a nested value; undefined when any step is missing. */
export function getPath(obj: unknown, path: readonly string[]): unknown {
  let cur: unknown = obj;
  for (const p of path) {
    if (!isRecord(cur)) return undefined;
    cur = cur[p];
  }
  return cur;
}

/** Returns `obj[key]` as a record, creating it when missing. */
export function ensureRecord(obj: Record<string, unknown>, key: string): Record<string, unknown> {
  const v = obj[key];
  if (isRecord(v)) return v;
  const created: Record<string, unknown> = {};
  obj[key] = created;
  return created;
}
