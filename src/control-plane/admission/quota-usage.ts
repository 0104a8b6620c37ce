/**
 * What one object charges against a ResourceQuota, as kube's quota evaluators count it
 * (pkg/quota/v1/evaluator/core): object counts under their legacy names and `count/<res>.<group>`,
 * pod compute requests and limits, claim storage, Service node ports and load balancers.
 */
import type { UntypedObject } from '../../kube/index.js';
import { type Amount, add, amountOf, cmp, count, formatAmount, ZERO } from './amount.js';

type Rec = Record<string, unknown>;
const isRec = (v: unknown): v is Rec => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A resource name → amount map (a quota's hard, used, or one object's usage). */
export type Usage = Map<string, Amount>;

/** Kinds with a legacy quota name besides `count/<plural>`. */
const LEGACY = new Set([
  'pods',
  'services',
  'secrets',
  'configmaps',
  'persistentvolumeclaims',
  'replicationcontrollers',
  'resourcequotas',
]);

/** Resources that make every container name an amount (quota's backward-compatible constraint). */
export const COMPUTE_CONSTRAINED = [
  'cpu',
  'memory',
  'requests.cpu',
  'requests.memory',
  'limits.cpu',
  'limits.memory',
];

/** The quota name of an object count: `count/pods`, `count/deployments.apps`. */
export function countName(plural: string, group: string): string {
  return `count/${plural}${group ? `.${group}` : ''}`;
}

function resourceList(v: unknown): Usage {
  const out: Usage = new Map();
  if (isRec(v)) for (const [k, q] of Object.entries(v)) out.set(k, amountOf(q));
  return out;
}

function containers(spec: Rec, key: 'containers' | 'initContainers'): Rec[] {
  const v = spec[key];
  return Array.isArray(v) ? v.filter(isRec) : [];
}

function part(c: Rec, which: 'requests' | 'limits'): Usage {
  return resourceList(isRec(c.resources) ? c.resources[which] : undefined);
}

/** A pod's effective requests or limits: containers summed, then the max with each init container. */
export function podAmounts(pod: UntypedObject, which: 'requests' | 'limits'): Usage {
  const spec = isRec(pod.spec) ? pod.spec : {};
  const out: Usage = new Map();
  for (const c of containers(spec, 'containers'))
    for (const [k, v] of part(c, which)) out.set(k, out.has(k) ? add(out.get(k)!, v) : v);
  for (const c of containers(spec, 'initContainers'))
    for (const [k, v] of part(c, which)) if (!out.has(k) || cmp(v, out.get(k)!) > 0) out.set(k, v);
  for (const [k, v] of resourceList(isRec(spec.overhead) ? spec.overhead : undefined))
    if (out.has(k)) out.set(k, add(out.get(k)!, v));
  return out;
}

/** QuotaV1Pod: terminal pods, and pods past their deletion grace, no longer count. */
export function podCounts(pod: UntypedObject, now: Date): boolean {
  const phase = isRec(pod.status) ? pod.status.phase : undefined;
  if (phase === 'Succeeded' || phase === 'Failed') return false;
  const deleting = pod.metadata?.deletionTimestamp;
  if (typeof deleting === 'string') {
    const grace = Number(pod.metadata?.deletionGracePeriodSeconds ?? 0);
    if (Date.parse(deleting) + grace * 1000 < now.getTime()) return false;
  }
  return true;
}

function podUsage(pod: UntypedObject): Usage {
  const out: Usage = new Map([['pods', count(1)]]);
  for (const [k, v] of podAmounts(pod, 'requests')) {
    out.set(`requests.${k}`, v);
    if (k === 'cpu' || k === 'memory' || k === 'ephemeral-storage') out.set(k, v);
  }
  for (const [k, v] of podAmounts(pod, 'limits')) out.set(`limits.${k}`, v);
  return out;
}

function serviceUsage(svc: UntypedObject): Usage {
  const spec = isRec(svc.spec) ? svc.spec : {};
  const out: Usage = new Map([['services', count(1)]]);
  const ports = Array.isArray(spec.ports) ? spec.ports.length : 0;
  if (spec.type === 'NodePort' || spec.type === 'LoadBalancer') out.set('services.nodeports', count(ports));
  if (spec.type === 'LoadBalancer') out.set('services.loadbalancers', count(1));
  return out;
}

function claimUsage(claim: UntypedObject): Usage {
  const spec = isRec(claim.spec) ? claim.spec : {};
  const storage = resourceList(isRec(spec.resources) ? spec.resources.requests : undefined).get('storage');
  const out: Usage = new Map([['persistentvolumeclaims', count(1)]]);
  const cls = typeof spec.storageClassName === 'string' && spec.storageClassName ? spec.storageClassName : '';
  if (cls) out.set(`${cls}.storageclass.storage.k8s.io/persistentvolumeclaims`, count(1));
  if (storage) {
    out.set('requests.storage', storage);
    if (cls) out.set(`${cls}.storageclass.storage.k8s.io/requests.storage`, storage);
  }
  return out;
}

/** Everything `obj` of resource `plural` in `group` charges (zero-valued entries left out). */
export function usageOf(plural: string, group: string, obj: UntypedObject): Usage {
  let out: Usage = new Map();
  if (!group && plural === 'pods') out = podUsage(obj);
  else if (!group && plural === 'services') out = serviceUsage(obj);
  else if (!group && plural === 'persistentvolumeclaims') out = claimUsage(obj);
  else if (!group && LEGACY.has(plural)) out.set(plural, count(1));
  out.set(countName(plural, group), count(1));
  return out;
}

/** The sum of usages. */
export function sumUsage(into: Usage, more: Usage): Usage {
  for (const [k, v] of more) into.set(k, into.has(k) ? add(into.get(k)!, v) : v);
  return into;
}

/** `quota.PrettyPrint`: `a=1,b=2Gi` with names sorted. */
export function prettyPrint(usage: Usage): string {
  return [...usage.keys()]
    .sort()
    .map((k) => `${k}=${formatAmount(usage.get(k) ?? ZERO)}`)
    .join(',');
}

/** A usage map as a ResourceList of canonical strings. */
export function toResourceList(usage: Usage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of [...usage.keys()].sort()) out[k] = formatAmount(usage.get(k)!);
  return out;
}

/**
 * The pod evaluator's Constraints: when a quota limits cpu or memory, every container must state
 * that request or limit. Returns upstream's "must specify …" text, or undefined.
 */
export function missingCompute(pod: UntypedObject, hard: Usage): string | undefined {
  const required = COMPUTE_CONSTRAINED.filter((r) => hard.has(r));
  if (!required.length || !isRec(pod.spec)) return undefined;
  const missing = new Map<string, Set<string>>();
  for (const c of [...containers(pod.spec, 'containers'), ...containers(pod.spec, 'initContainers')]) {
    const req = part(c, 'requests');
    const lim = part(c, 'limits');
    for (const r of required) {
      const [kind, name] = r.includes('.') ? (r.split('.') as [string, string]) : ['requests', r];
      const has = kind === 'limits' ? lim.has(name) : req.has(name);
      if (has) continue;
      const names = missing.get(r) ?? new Set<string>();
      names.add(String(c.name));
      missing.set(r, names);
    }
  }
  if (!missing.size) return undefined;
  const parts = [...missing.keys()].sort().map((r) => `${r} for: ${[...missing.get(r)!].sort().join(',')}`);
  return `must specify ${parts.join('; ')}`;
}

/** One kind of object a quota counts. */
export interface QuotaSource {
  readonly plural: string;
  readonly group: string;
}

/** The kinds whose objects make up the usage of the `hard` resource names. */
export function quotaSources(names: Iterable<string>): QuotaSource[] {
  const out = new Map<string, QuotaSource>();
  const add1 = (plural: string, group = '') => out.set(`${plural}.${group}`, { plural, group });
  for (const n of names) {
    if (n.startsWith('count/')) {
      const rest = n.slice('count/'.length);
      const dot = rest.indexOf('.');
      add1(dot < 0 ? rest : rest.slice(0, dot), dot < 0 ? '' : rest.slice(dot + 1));
    } else if (
      n === 'pods' ||
      n.startsWith('requests.') ||
      n.startsWith('limits.') ||
      n === 'cpu' ||
      n === 'memory' ||
      n === 'ephemeral-storage'
    ) {
      add1('pods');
      if (n === 'requests.storage') add1('persistentvolumeclaims');
    } else if (n === 'services' || n.startsWith('services.')) add1('services');
    else if (n === 'persistentvolumeclaims' || n.includes('.storageclass.storage.k8s.io/'))
      add1('persistentvolumeclaims');
    else if (LEGACY.has(n)) add1(n);
  }
  return [...out.values()];
}

/**
 * The usage of `hard`'s resources from the objects of each source (counted as the quota's scopes
 * say; pods that no longer count are left out). Every hard resource gets an entry, zero if unused.
 */
export function computeUsage(
  hard: Iterable<string>,
  objects: ReadonlyArray<{ source: QuotaSource; items: readonly UntypedObject[] }>,
  matches: (source: QuotaSource, obj: UntypedObject) => boolean,
  now: Date,
): Usage {
  const names = new Set(hard);
  const total: Usage = new Map([...names].map((n) => [n, ZERO]));
  for (const { source, items } of objects) {
    for (const obj of items) {
      if (source.plural === 'pods' && !source.group && !podCounts(obj, now)) continue;
      if (!matches(source, obj)) continue;
      for (const [k, v] of usageOf(source.plural, source.group, obj))
        if (names.has(k)) total.set(k, add(total.get(k)!, v));
    }
  }
  return total;
}
