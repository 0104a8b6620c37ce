/**
 * The admission chain of a create, in kube-apiserver's order: NamespaceLifecycle, then the
 * LimitRanger's defaults (mutating), validation again on what it changed, then LimitRanger's and
 * ResourceQuota's checks (validating). The quota is charged last; the returned release refunds
 * the charge when the store then refuses the object.
 */
import type { UntypedObject } from '../../kube/index.js';
import {
  aggregate,
  applyLimitRangeDefaults,
  checkClaimLimits,
  checkPodLimits,
  defaultRequestsFromLimits,
} from '../admission/limit-ranger.js';
import { allResources } from '../registry/index.js';
import type { ResourceDef } from '../registry/types.js';
import { forbiddenFor } from './admission-forbidden.js';
import { chargeQuotas } from './admission-quota.js';
import type { ApiContext } from './context.js';
import { ApiError, invalid } from './status.js';

/**
 * LimitRanges and ResourceQuotas per namespace at most: every pod create reads them all, so a
 * namespace may not collect so many that creates slow to a crawl (kube has no such cap).
 */
export const MAX_PER_NAMESPACE = 1000;

function defOf(plural: string): ResourceDef {
  return allResources.find((r) => r.plural === plural && !r.group)!;
}

/**
 * NamespaceLifecycle: namespaced creates need an existing namespace that is not terminating. The
 * first plug-in of the chain, so ServiceAccount admission (server.ts) runs it before its lookup.
 */
export async function checkNamespace(
  ctx: ApiContext,
  def: ResourceDef,
  namespace: string | undefined,
  name: string,
) {
  if (!namespace)
    throw new ApiError(
      400,
      'BadRequest',
      'a namespace is required for this resource: use /namespaces/{namespace}/...',
    );
  const ns = await ctx.resources.get(defOf('namespaces'), undefined, namespace);
  if (!ns)
    throw new ApiError(404, 'NotFound', `namespaces "${namespace}" not found`, {
      name: namespace,
      kind: 'namespaces',
    });
  const phase = (ns.status as { phase?: unknown } | undefined)?.phase;
  if (ns.metadata?.deletionTimestamp || phase === 'Terminating') {
    throw forbiddenFor(
      def,
      name,
      `unable to create new content in namespace ${namespace} because it is being terminated`,
      [
        {
          reason: 'NamespaceTerminating',
          message: `namespace ${namespace} is being terminated`,
          field: 'metadata.namespace',
        },
      ],
    );
  }
}

/**
 * The ServiceAccount plug-in's defaulting, also when token signing (and so its mounting part) is
 * off: a pod runs as `default` unless it names an account.
 */
function defaultServiceAccount(pod: UntypedObject): void {
  const spec = pod.spec as Record<string, unknown> | undefined;
  if (!spec || typeof spec !== 'object') return;
  const name = spec.serviceAccountName || spec.serviceAccount;
  spec.serviceAccountName = typeof name === 'string' && name ? name : 'default';
  spec.serviceAccount = spec.serviceAccountName;
}

async function limitRanges(ctx: ApiContext, namespace: string): Promise<UntypedObject[]> {
  return (await ctx.resources.list(defOf('limitranges'), namespace)).items;
}

/** LimitRanger for pods (defaults, then bounds) and claims (storage bounds). */
async function admitLimits(
  ctx: ApiContext,
  def: ResourceDef,
  namespace: string,
  obj: UntypedObject,
  name: string,
) {
  if (def.group || (def.plural !== 'pods' && def.plural !== 'persistentvolumeclaims')) return;
  if (def.plural === 'pods') {
    defaultRequestsFromLimits(obj);
    defaultServiceAccount(obj);
  }
  const ranges = await limitRanges(ctx, namespace);
  if (!ranges.length) return;
  if (def.plural === 'pods') {
    applyLimitRangeDefaults(obj, ranges);
    const causes = def.validate?.(obj) ?? [];
    if (causes.length) throw invalid(def.kind, def.group, name, causes);
  }
  const errors = def.plural === 'pods' ? checkPodLimits(obj, ranges) : checkClaimLimits(obj, ranges);
  if (errors.length) throw forbiddenFor(def, name, aggregate(errors));
}

/**
 * Admits a create of `obj` (already defaulted and validated). Returns the refund of its quota
 * charge, for the caller to run when storing fails. A dry run checks the quota without charging.
 */
export async function admitCreate(
  ctx: ApiContext,
  def: ResourceDef,
  namespace: string | undefined,
  obj: UntypedObject,
  dryRun: boolean,
): Promise<() => Promise<void>> {
  if (!def.namespaced) return async () => {};
  const name = String(obj.metadata?.name ?? '');
  await checkNamespace(ctx, def, namespace, name);
  const ns = namespace as string;
  await admitLimits(ctx, def, ns, obj, name);
  if (!def.group && (def.plural === 'resourcequotas' || def.plural === 'limitranges')) {
    const page = await ctx.resources.list(def, ns, { limit: MAX_PER_NAMESPACE });
    if (page.items.length >= MAX_PER_NAMESPACE)
      throw forbiddenFor(
        def,
        name,
        `namespace ${ns} already has ${MAX_PER_NAMESPACE} ${def.kind}s, the most tugboat admits: delete some first`,
      );
  }
  return chargeQuotas(ctx, def, ns, obj, name, dryRun);
}

/**
 * Quota on updates of Services and claims (type → NodePort/LoadBalancer, a larger storage
 * request): what grew is charged like a create. Returns the refund; other kinds charge nothing.
 */
export async function admitUpdate(
  ctx: ApiContext,
  def: ResourceDef,
  obj: UntypedObject,
  old: UntypedObject,
  dryRun: boolean,
): Promise<() => Promise<void>> {
  const charged = !def.group && (def.plural === 'services' || def.plural === 'persistentvolumeclaims');
  const namespace = old.metadata?.namespace;
  if (!charged || !namespace) return async () => {};
  return chargeQuotas(ctx, def, namespace, obj, String(old.metadata?.name ?? ''), dryRun, old);
}
