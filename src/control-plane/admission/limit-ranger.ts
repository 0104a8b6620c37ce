/**
 * The LimitRanger admission plugin, pure: defaults from the namespace's LimitRanges filled into a
 * new pod's containers, then the min/max/ratio checks of Container, Pod and PersistentVolumeClaim
 * items, with kube-apiserver's messages (plugin/pkg/admission/limitranger).
 */
import type { UntypedObject } from '../../kube/index.js';
import { type Amount, add, cmp, formatAmount, parseAmount, ratio } from './amount.js';

type Rec = Record<string, unknown>;
type Quantities = Map<string, Amount>;

const isRec = (v: unknown): v is Rec => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The annotation LimitRanger leaves on pods it changed. */
export const LIMIT_RANGER_ANNOTATION = 'kubernetes.io/limit-ranger';

function quantities(list: unknown): Quantities {
  const out: Quantities = new Map();
  if (!isRec(list)) return out;
  for (const [k, v] of Object.entries(list)) {
    const a = parseAmount(v);
    if (a) out.set(k, a);
  }
  return out;
}

function itemsOf(ranges: readonly UntypedObject[], type: string): Rec[] {
  const out: Rec[] = [];
  for (const r of ranges) {
    const limits = isRec(r.spec) && Array.isArray(r.spec.limits) ? r.spec.limits : [];
    for (const item of limits) if (isRec(item) && item.type === type) out.push(item);
  }
  return out;
}

function containersOf(spec: Rec): Array<[Rec, string]> {
  const list = (v: unknown) => (Array.isArray(v) ? v.filter(isRec) : []);
  return [
    ...list(spec.initContainers).map((c): [Rec, string] => [c, 'init container']),
    ...list(spec.containers).map((c): [Rec, string] => [c, 'container']),
  ];
}

/**
 * Kube's pod defaulting (SetDefaults_Pod): a container with a limit and no request for a resource
 * requests its limit. Done here so quota and range checks see what kube-apiserver would.
 */
export function defaultRequestsFromLimits(pod: UntypedObject): void {
  if (!isRec(pod.spec)) return;
  for (const [c] of containersOf(pod.spec)) {
    if (!isRec(c.resources) || !isRec(c.resources.limits)) continue;
    const requests: Rec = isRec(c.resources.requests) ? c.resources.requests : {};
    for (const [k, v] of Object.entries(c.resources.limits)) if (!(k in requests)) requests[k] = v;
    if (Object.keys(requests).length) c.resources.requests = requests;
  }
}

/** Fills Container items' `default` (limits) and `defaultRequest` into containers that lack them. */
export function applyLimitRangeDefaults(pod: UntypedObject, ranges: readonly UntypedObject[]): void {
  if (!isRec(pod.spec)) return;
  const limits: Rec = {};
  const requests: Rec = {};
  for (const item of itemsOf(ranges, 'Container')) {
    if (isRec(item.defaultRequest)) Object.assign(requests, item.defaultRequest);
    if (isRec(item.default)) Object.assign(limits, item.default);
  }
  if (!Object.keys(limits).length && !Object.keys(requests).length) return;
  const notes: string[] = [];
  for (const [c, prefix] of containersOf(pod.spec)) {
    const res: Rec = isRec(c.resources) ? c.resources : {};
    const have = {
      limits: isRec(res.limits) ? res.limits : {},
      requests: isRec(res.requests) ? res.requests : {},
    };
    const setLimits = Object.keys(limits)
      .filter((k) => !(k in have.limits))
      .sort();
    const setRequests = Object.keys(requests)
      .filter((k) => !(k in have.requests))
      .sort();
    for (const k of setLimits) have.limits[k] = limits[k];
    for (const k of setRequests) have.requests[k] = requests[k];
    if (Object.keys(have.limits).length) res.limits = have.limits;
    if (Object.keys(have.requests).length) res.requests = have.requests;
    c.resources = res;
    if (setRequests.length) notes.push(`${setRequests.join(', ')} request for ${prefix} ${String(c.name)}`);
    if (setLimits.length) notes.push(`${setLimits.join(', ')} limit for ${prefix} ${String(c.name)}`);
  }
  if (!notes.length) return;
  pod.metadata ??= {};
  pod.metadata.annotations = {
    ...(pod.metadata.annotations ?? {}),
    [LIMIT_RANGER_ANNOTATION]: `LimitRanger plugin set: ${notes.join('; ')}`,
  };
}

const show = formatAmount;

type Observed = ReadonlyArray<readonly ['request' | 'limit', Amount | undefined]>;

/**
 * minConstraint / maxConstraint / maxRequestConstraint in one: the first observed amount must
 * exist; each that does must lie on the right side of `enforced`. Upstream's words.
 */
function bound(dir: 'minimum' | 'maximum', type: string, k: string, enforced: Amount, observed: Observed) {
  const head = `${dir} ${k} usage per ${type} is ${show(enforced)}`;
  const [what, first] = observed[0]!;
  if (!first) return `${head}.  No ${what} is specified`;
  const sign = dir === 'minimum' ? -1 : 1;
  for (const [name, a] of observed)
    if (a && cmp(a, enforced) === sign) return `${head}, but ${name} is ${show(a)}`;
  return undefined;
}

function ratioConstraint(
  type: string,
  k: string,
  enforced: Amount,
  req: Quantities,
  lim: Quantities,
): string | undefined {
  const r = req.get(k);
  const l = lim.get(k);
  const e = show(enforced);
  if (!r || r.nanos === 0n)
    return `${k} max limit to request ratio per ${type} is ${e}, but no request is specified or request is 0`;
  if (!l || l.nanos === 0n)
    return `${k} max limit to request ratio per ${type} is ${e}, but no limit is specified or limit is 0`;
  const observed = ratio(l, r);
  if (observed > Number(enforced.nanos) / 1e9)
    return `${k} max limit to request ratio per ${type} is ${e}, but provided ratio is ${observed.toFixed(6)}`;
  return undefined;
}

function checkItem(type: string, item: Rec, req: Quantities, lim: Quantities): string[] {
  const out: Array<string | undefined> = [];
  for (const [k, v] of quantities(item.min))
    out.push(
      bound('minimum', type, k, v, [
        ['request', req.get(k)],
        ['limit', lim.get(k)],
      ]),
    );
  for (const [k, v] of quantities(item.max))
    out.push(
      bound('maximum', type, k, v, [
        ['limit', lim.get(k)],
        ['request', req.get(k)],
      ]),
    );
  for (const [k, v] of quantities(item.maxLimitRequestRatio)) out.push(ratioConstraint(type, k, v, req, lim));
  return out.filter((m): m is string => m !== undefined);
}

/** PodValidateLimitFunc: every violated Container and Pod constraint (empty when the pod fits). */
export function checkPodLimits(pod: UntypedObject, ranges: readonly UntypedObject[]): string[] {
  if (!isRec(pod.spec)) return [];
  const errors: string[] = [];
  const podReq: Quantities = new Map();
  const podLim: Quantities = new Map();
  const regular = Array.isArray(pod.spec.containers) ? pod.spec.containers.filter(isRec) : [];
  const init = Array.isArray(pod.spec.initContainers) ? pod.spec.initContainers.filter(isRec) : [];
  const res = (c: Rec, part: string) => quantities(isRec(c.resources) ? c.resources[part] : undefined);
  for (const c of regular) {
    for (const [k, v] of res(c, 'requests')) podReq.set(k, podReq.has(k) ? add(podReq.get(k)!, v) : v);
    for (const [k, v] of res(c, 'limits')) podLim.set(k, podLim.has(k) ? add(podLim.get(k)!, v) : v);
  }
  for (const c of init) {
    for (const [k, v] of res(c, 'requests'))
      if (!podReq.has(k) || cmp(v, podReq.get(k)!) > 0) podReq.set(k, v);
    for (const [k, v] of res(c, 'limits')) if (!podLim.has(k) || cmp(v, podLim.get(k)!) > 0) podLim.set(k, v);
  }
  for (const item of itemsOf(ranges, 'Container'))
    for (const c of [...init, ...regular])
      errors.push(...checkItem('Container', item, res(c, 'requests'), res(c, 'limits')));
  for (const item of itemsOf(ranges, 'Pod')) errors.push(...checkItem('Pod', item, podReq, podLim));
  return errors;
}

/** PersistentVolumeClaim items: the claim's storage request between min and max. */
export function checkClaimLimits(claim: UntypedObject, ranges: readonly UntypedObject[]): string[] {
  const resources = isRec(claim.spec) && isRec(claim.spec.resources) ? claim.spec.resources : {};
  const req = quantities(resources.requests);
  const errors: Array<string | undefined> = [];
  for (const item of itemsOf(ranges, 'PersistentVolumeClaim')) {
    for (const [k, v] of quantities(item.min))
      errors.push(bound('minimum', 'PersistentVolumeClaim', k, v, [['request', req.get(k)]]));
    for (const [k, v] of quantities(item.max))
      errors.push(bound('maximum', 'PersistentVolumeClaim', k, v, [['request', req.get(k)]]));
  }
  return errors.filter((m): m is string => m !== undefined);
}

/** utilerrors.NewAggregate's text: one message alone, several in brackets. */
export function aggregate(messages: readonly string[]): string {
  return messages.length === 1 ? messages[0]! : `[${messages.join(', ')}]`;
}
