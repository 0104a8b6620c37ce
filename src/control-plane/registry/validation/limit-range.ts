import type { StatusCause } from '../../../kube/index.js';
import { type Amount, cmp, formatAmount, parseAmount } from '../../admission/amount.js';
import { duplicate, forbidden, invalid, isRecord, listAt, recordAt, required, stringAt } from './field.js';
import { checkQualifiedName } from './names.js';
import { quantityPattern } from './quantity.js';

const PARTS = ['max', 'min', 'default', 'defaultRequest', 'maxLimitRequestRatio'] as const;
type Part = (typeof PARTS)[number];
const STANDARD = new Set(['cpu', 'memory', 'ephemeral-storage', 'storage']);
function isLimitResource(name: string): boolean {
  return STANDARD.has(name) || name.startsWith('hugepages-');
}

/** At most this many items per LimitRange, so admission's work per pod stays bounded. */
export const MAX_LIMIT_ITEMS = 100;

/** Reads `list` as a resource → quantity map, reporting bad names and quantities at `field[name]`. */
export function checkResourceList(
  list: unknown,
  field: string,
  causes: StatusCause[],
  standard: (name: string) => boolean = isLimitResource,
): Map<string, Amount> {
  const out = new Map<string, Amount>();
  const r = recordAt(list, field, causes);
  if (!r) return out;
  for (const [name, value] of Object.entries(r)) {
    const at = `${field}[${name}]`;
    if (!standard(name)) {
      if (!name.includes('/'))
        causes.push(invalid(at, name, 'must be a standard resource type or fully qualified'));
      else causes.push(...checkQualifiedName(name, at));
    }
    const q = parseAmount(value);
    if (!q) {
      causes.push(invalid(at, value, `quantities must match the regular expression '${quantityPattern}'`));
      continue;
    }
    if (q.nanos < 0n) causes.push(invalid(at, value, 'must be greater than or equal to 0'));
    out.set(name, q);
  }
  return out;
}

/** SetDefaults_LimitRange: a Container item's default is its max, its defaultRequest its default or min. */
export function defaultLimitRange(spec: unknown): void {
  if (!isRecord(spec) || !Array.isArray(spec.limits)) return;
  for (const item of spec.limits) {
    if (!isRecord(item) || item.type !== 'Container') continue;
    const max = isRecord(item.max) ? item.max : {};
    const min = isRecord(item.min) ? item.min : {};
    const def: Record<string, unknown> = isRecord(item.default) ? { ...item.default } : {};
    for (const [k, v] of Object.entries(max)) if (!(k in def)) def[k] = v;
    const req: Record<string, unknown> = isRecord(item.defaultRequest) ? { ...item.defaultRequest } : {};
    for (const [k, v] of Object.entries(def)) if (!(k in req)) req[k] = v;
    for (const [k, v] of Object.entries(min)) if (!(k in req)) req[k] = v;
    if (Object.keys(def).length) item.default = def;
    if (Object.keys(req).length) item.defaultRequest = req;
  }
}

const show = (a: Amount) => formatAmount(a);

/** ValidateLimitRange's spec checks, with upstream's messages. */
export function checkLimitRangeSpec(spec: unknown, field: string): StatusCause[] {
  const causes: StatusCause[] = [];
  const s = recordAt(spec, field, causes);
  if (!s) return causes;
  const items = listAt(s.limits, `${field}.limits`, causes);
  if (items.length > MAX_LIMIT_ITEMS)
    causes.push(
      invalid(`${field}.limits`, `${items.length} items`, `must have at most ${MAX_LIMIT_ITEMS} items`),
    );
  const types = new Set<string>();
  for (const [i, item] of items.slice(0, MAX_LIMIT_ITEMS)) {
    const at = `${field}.limits[${i}]`;
    const it = recordAt(item, at, causes);
    if (!it) continue;
    const type = stringAt(it.type, `${at}.type`, causes);
    if (!type) {
      if (it.type === undefined) causes.push(required(`${at}.type`));
      continue;
    }
    if (types.has(type)) causes.push(duplicate(`${at}.type`, type));
    types.add(type);
    const lists = {} as Record<Part, Map<string, Amount>>;
    for (const part of PARTS) lists[part] = checkResourceList(it[part], `${at}.${part}`, causes);
    if (type === 'Pod') {
      if (lists.default.size)
        causes.push(forbidden(`${at}.default`, "may not be specified when `type` is 'Pod'"));
      if (lists.defaultRequest.size)
        causes.push(forbidden(`${at}.defaultRequest`, "may not be specified when `type` is 'Pod'"));
    }
    if (type === 'PersistentVolumeClaim' && !lists.min.has('storage') && !lists.max.has('storage'))
      causes.push(
        required(
          `${at}.limits`,
          'either minimum or maximum storage value is required, but neither was provided',
        ),
      );
    const one = { nanos: 1_000_000_000n, binary: false };
    for (const [k, r] of lists.maxLimitRequestRatio)
      if (cmp(r, one) < 0)
        causes.push(
          invalid(`${at}.maxLimitRequestRatio[${k}]`, show(r), 'ratio must be greater than or equal to 1'),
        );
    const keys = new Set(PARTS.flatMap((p) => [...lists[p].keys()]));
    for (const k of keys) causes.push(...checkOrder(at, k, lists));
  }
  return causes;
}

function checkOrder(at: string, k: string, l: Record<Part, Map<string, Amount>>): StatusCause[] {
  const out: StatusCause[] = [];
  const [min, max, def, req, ratio] = [
    l.min.get(k),
    l.max.get(k),
    l.default.get(k),
    l.defaultRequest.get(k),
    l.maxLimitRequestRatio.get(k),
  ];
  if (min && max && cmp(min, max) > 0)
    out.push(
      invalid(`${at}.min[${k}]`, show(min), `min value ${show(min)} is greater than max value ${show(max)}`),
    );
  if (req && min && cmp(min, req) > 0)
    out.push(
      invalid(
        `${at}.defaultRequest[${k}]`,
        show(req),
        `min value ${show(min)} is greater than default request value ${show(req)}`,
      ),
    );
  if (req && max && cmp(req, max) > 0)
    out.push(
      invalid(
        `${at}.defaultRequest[${k}]`,
        show(req),
        `default request value ${show(req)} is greater than max value ${show(max)}`,
      ),
    );
  if (req && def && cmp(req, def) > 0)
    out.push(
      invalid(
        `${at}.defaultRequest[${k}]`,
        show(req),
        `default request value ${show(req)} is greater than default limit value ${show(def)}`,
      ),
    );
  if (def && min && cmp(min, def) > 0)
    out.push(
      invalid(
        `${at}.default[${k}]`,
        show(def),
        `min value ${show(min)} is greater than default value ${show(def)}`,
      ),
    );
  if (def && max && cmp(def, max) > 0)
    out.push(
      invalid(
        `${at}.default[${k}]`,
        show(def),
        `default value ${show(def)} is greater than max value ${show(max)}`,
      ),
    );
  if (ratio && min && max && min.nanos > 0n) {
    const maxRatio = Number((max.nanos * 1_000_000n) / min.nanos) / 1_000_000;
    const r = Number(ratio.nanos) / 1e9;
    if (r > maxRatio)
      out.push(
        invalid(
          `${at}.maxLimitRequestRatio[${k}]`,
          show(ratio),
          `ratio ${show(ratio)} is greater than max/min = ${maxRatio.toFixed(6)}`,
        ),
      );
  }
  return out;
}
