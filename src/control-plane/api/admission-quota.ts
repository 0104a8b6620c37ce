/**
 * ResourceQuota admission: a create is charged against every quota of its namespace that tracks
 * it, with a compare-and-swap on the quota's `status.used` (as kube-apiserver's quota evaluator
 * does), so two racing creates cannot both take the last slot. A quota the controller has not
 * yet counted is counted here first, from the stored objects.
 */
import type { UntypedObject } from '../../kube/index.js';
import { type Amount, add, amountOf, cmp, sub } from '../admission/amount.js';
import { quotaMatches } from '../admission/quota-scopes.js';
import {
  computeUsage,
  missingCompute,
  prettyPrint,
  type QuotaSource,
  quotaSources,
  toResourceList,
  type Usage,
  usageOf,
} from '../admission/quota-usage.js';
import { allResources } from '../registry/index.js';
import type { ResourceDef } from '../registry/types.js';
import { forbiddenFor } from './admission-forbidden.js';
import type { ApiContext } from './context.js';
import { ApiError } from './status.js';

function quotaDef(): ResourceDef {
  return allResources.find((r) => r.plural === 'resourcequotas' && !r.group)!;
}

function listOf(v: unknown): Usage {
  const out: Usage = new Map();
  if (typeof v === 'object' && v !== null && !Array.isArray(v))
    for (const [k, q] of Object.entries(v)) out.set(k, amountOf(q));
  return out;
}

function hardOf(quota: UntypedObject): Usage {
  return listOf((quota.spec as { hard?: unknown } | undefined)?.hard);
}

/** Counts a quota's usage from the store (the controller's job, done here when it has not yet). */
export async function countUsage(ctx: ApiContext, namespace: string, quota: UntypedObject): Promise<Usage> {
  const hard = hardOf(quota);
  const objects: Array<{ source: QuotaSource; items: UntypedObject[] }> = [];
  for (const source of quotaSources(hard.keys())) {
    const def = ctx.catalog.all().find((r) => r.plural === source.plural && r.group === source.group);
    if (!def?.namespaced) continue;
    objects.push({ source, items: (await ctx.resources.list(def, namespace)).items });
  }
  return computeUsage(hard.keys(), objects, (s, o) => quotaMatches(quota, s.plural, s.group, o), ctx.now());
}

/** What an update adds: the amounts that grew from `before` to `after` (shrinking is the controller's). */
function growth(after: Usage, before: Usage): Usage {
  const out: Usage = new Map();
  for (const [k, v] of after) {
    const was = before.get(k);
    const d = was ? sub(v, was) : v;
    if (d.nanos > 0n) out.set(k, d);
  }
  return out;
}

/** The resources of `usage` the quota limits, with a non-zero amount. */
function masked(usage: Usage, hard: Usage): Usage {
  return new Map([...usage].filter(([k, v]) => hard.has(k) && v.nanos !== 0n));
}

/** Adds `delta` (or takes it off, sign -1) to the quota's status.used, checking hard when adding. */
async function applyCharge(
  ctx: ApiContext,
  def: ResourceDef,
  namespace: string,
  quotaName: string,
  delta: Usage,
  sign: 1 | -1,
  objName: string,
  dryRun: boolean,
): Promise<void> {
  const gone = (err: unknown) => {
    // A quota deleted since the list no longer limits anything.
    if (err instanceof ApiError && err.code === 404) return;
    throw err;
  };
  await ctx.resources
    .update(quotaDef(), namespace, quotaName, async (quota) => {
      const hard = hardOf(quota);
      const status = (quota.status ?? {}) as { used?: unknown };
      let used = listOf(status.used);
      if ([...hard.keys()].some((k) => !used.has(k))) used = await countUsage(ctx, namespace, quota);
      const next: Usage = new Map(used);
      const exceeded: string[] = [];
      for (const [k, v] of masked(delta, hard)) {
        const base = next.get(k) ?? { nanos: 0n, binary: v.binary };
        const after = sign > 0 ? add(base, v) : sub(base, v);
        next.set(k, after.nanos < 0n ? { nanos: 0n, binary: after.binary } : after);
        if (sign > 0 && cmp(after, hard.get(k)!) > 0) exceeded.push(k);
      }
      if (exceeded.length) {
        const pick = (u: Usage) =>
          new Map(exceeded.map((k): [string, Amount] => [k, u.get(k) ?? { nanos: 0n, binary: false }]));
        throw forbiddenFor(
          def,
          objName,
          `exceeded quota: ${quotaName}, requested: ${prettyPrint(pick(delta))}, used: ${prettyPrint(pick(used))}, limited: ${prettyPrint(pick(hard))}`,
        );
      }
      if (dryRun) return undefined;
      quota.status = { hard: toResourceList(hard), used: toResourceList(next) };
      return quota;
    })
    .catch(gone);
}

/**
 * Charges `obj` (a create, or with `old` an update charging only what grew) against the namespace's quotas (refusing it with 403 when one would be exceeded
 * or a compute quota finds a container without the amount); returns the refund.
 */
export async function chargeQuotas(
  ctx: ApiContext,
  def: ResourceDef,
  namespace: string,
  obj: UntypedObject,
  name: string,
  dryRun: boolean,
  old?: UntypedObject,
): Promise<() => Promise<void>> {
  const none = async () => {};
  const page = await ctx.resources.list(quotaDef(), namespace);
  if (!page.items.length) return none;
  const usage = old
    ? growth(usageOf(def.plural, def.group, obj), usageOf(def.plural, def.group, old))
    : usageOf(def.plural, def.group, obj);
  const charged: Array<[string, Usage]> = [];
  const isPod = def.plural === 'pods' && !def.group && !old;
  for (const quota of page.items) {
    if (!quotaMatches(quota, def.plural, def.group, obj)) continue;
    const hard = hardOf(quota);
    const qname = String(quota.metadata?.name);
    const missing = isPod ? missingCompute(obj, hard) : undefined;
    if (missing) throw forbiddenFor(def, name, `failed quota: ${qname}: ${missing}`);
    const delta = masked(usage, hard);
    if (delta.size) charged.push([qname, delta]);
  }
  const done: Array<[string, Usage]> = [];
  const refund = async () => {
    await Promise.all(
      done.map(([qname, delta]) =>
        applyCharge(ctx, def, namespace, qname, delta, -1, name, false).catch(() => undefined),
      ),
    );
  };
  // Each quota is its own compare-and-swap, so they are charged side by side; if one refuses,
  // the others that took their charge give it back.
  const results = await Promise.allSettled(
    charged.map(async ([qname, delta]) => {
      await applyCharge(ctx, def, namespace, qname, delta, 1, name, dryRun);
      if (!dryRun) done.push([qname, delta]);
    }),
  );
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) {
    await refund();
    throw failed.reason;
  }
  return refund;
}
