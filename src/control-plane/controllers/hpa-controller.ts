import type { HorizontalPodAutoscaler, KubeObject, Pod } from '../../kube/index.js';
import { byNamespace } from '../machinery/informers.js';
import { keyOf } from '../machinery/objects.js';
import { type Action, eventAction, statusUpdate } from './actions.js';
import type { HpaApi, ScaleObject, TargetRef } from './hpa-api.js';
import { type BehaviorState, newBehaviorState } from './hpa-behavior.js';
import { type HpaSources, reconcileAutoscaler } from './hpa-reconcile.js';
import { compileSelector } from './hpa-selector.js';
import type { ControllerRunner } from './runner.js';
import type { StatefulSetControllerDeps } from './statefulset-controller.js';

/** Options of the horizontal pod autoscaler. */
export interface HpaControllerOptions {
  /** Scale subresources and pod metrics. */
  readonly api: HpaApi;
  /** How often each autoscaler is evaluated (`--horizontal-pod-autoscaler-sync-period`). @default 15000 */
  readonly syncPeriodMs?: number;
  /**
   * Scale-down stabilization window of autoscalers that do not set one
   * (`--horizontal-pod-autoscaler-downscale-stabilization`). @default 300
   */
  readonly downscaleStabilizationSeconds?: number;
}

/**
 * The horizontal pod autoscaler: every HPA is evaluated once per sync period (and at once when it
 * changes), each pass reading the target's scale and its pods' metrics (hpa-reconcile.ts). The
 * recommendations and scale events the behavior needs are kept per HPA in memory, as upstream
 * does, and dropped with it.
 */
export function registerHpaController(
  deps: StatefulSetControllerDeps & { readonly hpa: HpaControllerOptions },
): ControllerRunner {
  const { informers: inf, make, apply, clock } = deps;
  const period = deps.hpa.syncPeriodMs ?? 15_000;
  const states = new Map<string, BehaviorState>();
  const controller = make('horizontal-pod-autoscaler', async (key) => {
    const hpa = inf.horizontalpodautoscalers.get(key) as HorizontalPodAutoscaler | undefined;
    if (!hpa || hpa.metadata.deletionTimestamp) {
      states.delete(key);
      return undefined;
    }
    let state = states.get(key);
    if (!state) {
      state = newBehaviorState();
      states.set(key, state);
    }
    const namespace = hpa.metadata.namespace ?? '';
    const target: TargetRef = { ...hpa.spec.scaleTargetRef, namespace };
    let scale: ScaleObject | undefined;
    const sources: HpaSources = {
      getScale: async () => {
        scale = await deps.hpa.api.getScale(target);
        return { replicas: scale.spec?.replicas ?? 0, selector: scale.status?.selector ?? '' };
      },
      updateScale: async (replicas) => {
        if (!scale) throw new Error('the scale was not read');
        await deps.hpa.api.updateScale(target, { ...scale, spec: { ...scale.spec, replicas } });
      },
      pods: (selector) => {
        const matches = compileSelector(selector);
        return (inf.pods.byIndex(byNamespace, namespace) as Pod[]).filter((p) => matches(p.metadata.labels));
      },
      podMetrics: (selector) => deps.hpa.api.podMetrics(namespace, selector),
    };
    const result = await reconcileAutoscaler(hpa, sources, state, clock.now(), {
      ...(deps.hpa.downscaleStabilizationSeconds !== undefined
        ? { downscaleStabilizationSeconds: deps.hpa.downscaleStabilizationSeconds }
        : {}),
    });
    const actions: Action[] = result.events.map((e) => eventAction(hpa, e.type, e.reason, e.message));
    actions.push(...statusUpdate('horizontalpodautoscalers', hpa, result.status));
    await apply(actions);
    return { requeueAfterMs: period };
  });
  inf.horizontalpodautoscalers.addHandlers({
    onAdd: (o: KubeObject) => controller.enqueue(keyOf(o)),
    onUpdate: (o: KubeObject, old: KubeObject) => {
      // Status writes of our own come back as updates: only a spec change asks for a pass now.
      if (o.metadata.generation !== old.metadata.generation) controller.enqueue(keyOf(o));
    },
    onDelete: (o: KubeObject) => states.delete(keyOf(o)),
  });
  return controller;
}
