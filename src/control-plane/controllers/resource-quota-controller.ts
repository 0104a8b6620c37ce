import { type KindedResourceType, resources } from '../../client/types.js';
import type { KubeObject, UntypedObject } from '../../kube/index.js';
import { amountOf, formatAmount } from '../admission/amount.js';
import { quotaMatches } from '../admission/quota-scopes.js';
import { computeUsage, type QuotaSource, quotaSources } from '../admission/quota-usage.js';
import type { ControllerApi } from '../machinery/api.js';
import { byNamespace } from '../machinery/informers.js';
import { keyOf } from '../machinery/objects.js';
import type { ReconcileResult } from './runner.js';
import type { StatefulSetControllerDeps } from './statefulset-controller.js';

/** What the controller manager lends the quota controller. */
export interface ResourceQuotaControllerDeps extends StatefulSetControllerDeps {
  /** For live lists of the counted kinds (most have no informer). */
  readonly api: ControllerApi;
}

/** Every quota is recounted this often even without events (kube's full resync is 5 minutes). */
const RESYNC_MS = 5 * 60_000;

const isRec = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function typeOf(source: QuotaSource): KindedResourceType | undefined {
  return Object.values(resources).find(
    (t) => t.resource === source.plural && t.group === source.group && t.namespaced,
  );
}

/** A resource list in canonical form, sorted, so equal amounts compare equal. */
function canonical(list: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!isRec(list)) return out;
  for (const k of Object.keys(list).sort()) out[k] = formatAmount(amountOf(list[k]));
  return out;
}

/**
 * kube's resource quota controller: keeps each quota's `status.hard` equal to `spec.hard` and
 * recounts `status.used` from the live objects (terminal pods do not count), so deleted objects
 * release their share. Kinds the controller has no type for (a `count/` of a custom resource) keep
 * the amount admission charged.
 */
export function registerResourceQuotaController(deps: ResourceQuotaControllerDeps) {
  const { informers: inf, make, apply, api, clock } = deps;
  const controller = make('resourcequota', async (key): Promise<ReconcileResult | undefined> => {
    const quota = inf.resourcequotas.get(key) as
      | (KubeObject & { spec?: unknown; status?: unknown })
      | undefined;
    if (!quota || !isRec(quota.spec)) return undefined;
    const namespace = quota.metadata.namespace ?? '';
    const hard = canonical(quota.spec.hard);
    const status = isRec(quota.status) ? quota.status : {};
    const used: Record<string, string> = canonical(status.used);
    const objects: Array<{ source: QuotaSource; items: UntypedObject[] }> = [];
    for (const source of quotaSources(Object.keys(hard))) {
      const type = typeOf(source);
      if (!type) continue;
      const page = await api.list<KubeObject>(type, { namespace });
      objects.push({ source, items: page.items as UntypedObject[] });
    }
    const usage = computeUsage(
      Object.keys(hard),
      objects,
      (s, o) => quotaMatches(quota as UntypedObject, s.plural, s.group, o),
      new Date(clock.now()),
    );
    const listed = new Set(objects.map((o) => `${o.source.plural}.${o.source.group}`));
    const next: Record<string, string> = {};
    for (const name of Object.keys(hard)) {
      const sources = quotaSources([name]);
      const known = sources.length > 0 && sources.every((s) => listed.has(`${s.plural}.${s.group}`));
      next[name] = known ? formatAmount(usage.get(name)!) : (used[name] ?? '0');
    }
    const want = { hard, used: next };
    if (JSON.stringify(want) !== JSON.stringify({ hard: canonical(status.hard), used })) {
      await apply([
        {
          verb: 'updateStatus',
          resource: 'resourcequotas',
          object: { ...quota, status: want } as KubeObject,
        },
      ]);
    }
    return { requeueAfterMs: RESYNC_MS };
  });
  const quotasIn = (o: KubeObject) => {
    for (const q of inf.resourcequotas.byIndex(byNamespace, o.metadata.namespace ?? ''))
      controller.enqueue(keyOf(q));
  };
  inf.resourcequotas.addHandlers({
    onAdd: (o) => controller.enqueue(keyOf(o)),
    onUpdate: (o) => controller.enqueue(keyOf(o)),
  });
  for (const counted of [inf.pods, inf.services, inf.persistentvolumeclaims, inf.replicationcontrollers])
    counted.addHandlers({ onAdd: quotasIn, onUpdate: quotasIn, onDelete: quotasIn });
  for (const q of inf.resourcequotas.list()) controller.enqueue(keyOf(q));
  return controller;
}
