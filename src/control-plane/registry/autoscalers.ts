import { resources } from '../../client/types.js';
import type { UntypedObject } from '../../kube/index.js';
import { autoscalerToV1, autoscalerToV2 } from './autoscaler-conversion.js';
import { ageColumn, ageOf, column, nameColumn, nameOf } from './columns.js';
import { identity, type ResourceDef } from './types.js';
import { checkAutoscalerSpec } from './validation/autoscaler.js';
import { absent, checkNonNegativeInt, ensureRecord, getPath, isRecord } from './validation.js';

/** `autoscaling.DefaultCPUUtilization`: the target of an autoscaler that names no metric. */
export const defaultCpuUtilization = 80;

/** `GenerateHPAScaleUpRules` / `GenerateHPAScaleDownRules`: the defaults of one direction. */
export function defaultRules(direction: 'scaleUp' | 'scaleDown'): Record<string, unknown> {
  return direction === 'scaleUp'
    ? {
        stabilizationWindowSeconds: 0,
        selectPolicy: 'Max',
        policies: [
          { type: 'Pods', value: 4, periodSeconds: 15 },
          { type: 'Percent', value: 100, periodSeconds: 15 },
        ],
      }
    : {
        // Left unset, as upstream: the controller's --horizontal-pod-autoscaler-downscale-stabilization.
        selectPolicy: 'Max',
        policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }],
      };
}

/** `SetDefaults_HorizontalPodAutoscaler` (autoscaling/v2): minReplicas 1, cpu at 80%, behavior filled in. */
function defaultAutoscaler(obj: UntypedObject): void {
  const spec = ensureRecord(obj, 'spec');
  if (absent(spec.minReplicas)) spec.minReplicas = 1;
  if (absent(spec.metrics) || (Array.isArray(spec.metrics) && spec.metrics.length === 0))
    spec.metrics = [
      {
        type: 'Resource',
        resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: defaultCpuUtilization } },
      },
    ];
  // Only a behavior that is given gets its missing parts filled (the controller assumes the rest).
  if (!isRecord(spec.behavior)) return;
  for (const dir of ['scaleUp', 'scaleDown'] as const) {
    const d = defaultRules(dir);
    const rules = isRecord(spec.behavior[dir]) ? spec.behavior[dir] : {};
    for (const key of ['stabilizationWindowSeconds', 'selectPolicy', 'policies'])
      if (absent(rules[key]) && d[key] !== undefined) rules[key] = d[key];
    spec.behavior[dir] = rules;
  }
}

type Metric = Record<string, Record<string, Record<string, unknown>> | undefined>;

/** One metric of TARGETS as kubectl's printer writes it: `cpu: 40%/50%`, `cpu: <unknown>/50%`. */
function metricCell(spec: Metric, status: Metric | undefined): string {
  const type = String(spec.type ?? '');
  const key =
    type === 'ContainerResource' ? 'containerResource' : type.charAt(0).toLowerCase() + type.slice(1);
  const source = spec[key] ?? {};
  const target = (source.target ?? {}) as Record<string, unknown>;
  const current = ((status?.[key] as Record<string, unknown> | undefined)?.current ?? {}) as Record<
    string,
    unknown
  >;
  const name = String(source.name ?? (source.metric as Record<string, unknown> | undefined)?.name ?? '');
  const show = (v: unknown, percent: boolean) =>
    v === undefined || v === null ? '<unknown>' : percent ? `${String(v)}%` : String(v);
  if (target.averageUtilization !== undefined)
    return `${name}: ${show(current.averageUtilization, true)}/${show(target.averageUtilization, true)}`;
  if (target.averageValue !== undefined)
    return `${name}: ${show(current.averageValue, false)}/${show(target.averageValue, false)}`;
  return `${name}: ${show(current.value, false)}/${show(target.value, false)}`;
}

/** The TARGETS cell: up to three metrics, then `+ N more...`; `<none>` without metrics. */
export function targetsCell(obj: UntypedObject): string {
  const specs = getPath(obj, ['spec', 'metrics']);
  if (!Array.isArray(specs) || specs.length === 0) return '<none>';
  const statuses = getPath(obj, ['status', 'currentMetrics']);
  const current = Array.isArray(statuses) ? statuses : [];
  const cells = specs
    .slice(0, 3)
    .map((m, i) =>
      metricCell((isRecord(m) ? m : {}) as Metric, (isRecord(current[i]) ? current[i] : undefined) as Metric),
    );
  const more = specs.length > 3 ? ` + ${specs.length - 3} more...` : '';
  return `${cells.join(', ')}${more}`;
}

/** autoscaling/v2 HorizontalPodAutoscaler, stored as v2 and kept by the HPA controller through `/status`. */
export const horizontalpodautoscalers: ResourceDef = {
  ...identity(resources.horizontalPodAutoscalers),
  singular: 'horizontalpodautoscaler',
  shortNames: ['hpa'],
  categories: ['all'],
  subresources: ['status'],
  statusField: 'status',
  defaults: defaultAutoscaler,
  validate(obj) {
    const causes = isRecord(obj.spec) ? checkAutoscalerSpec(obj.spec) : checkAutoscalerSpec({});
    for (const f of ['currentReplicas', 'desiredReplicas'])
      causes.push(...checkNonNegativeInt(getPath(obj, ['status', f]), `status.${f}`));
    return causes;
  },
  columns: [
    nameColumn,
    column('Reference', 'The reference to the scale target.'),
    column('Targets', 'The metrics and their current and target values.'),
    column('MinPods', 'The lower limit for the number of pods that can be set by the autoscaler.'),
    column(
      'MaxPods',
      'The upper limit for the number of pods that can be set by the autoscaler.',
      0,
      'integer',
    ),
    column('Replicas', 'Current number of replicas of pods managed by this autoscaler.', 0, 'integer'),
    ageColumn,
  ],
  cells: (obj: UntypedObject, now) => {
    const ref = (getPath(obj, ['spec', 'scaleTargetRef']) ?? {}) as Record<string, unknown>;
    const min = getPath(obj, ['spec', 'minReplicas']);
    const max = getPath(obj, ['spec', 'maxReplicas']);
    const replicas = getPath(obj, ['status', 'currentReplicas']);
    return [
      nameOf(obj),
      `${String(ref.kind ?? '')}/${String(ref.name ?? '')}`,
      targetsCell(obj),
      typeof min === 'number' ? String(min) : '<unset>',
      typeof max === 'number' ? max : 0,
      typeof replicas === 'number' ? replicas : 0,
      ageOf(obj, now),
    ];
  },
};

/**
 * autoscaling/v1 HorizontalPodAutoscaler: the same objects (stored as v2), converted on the way in
 * and out; validated and printed as the v2 object it becomes, as upstream validates the internal
 * version. Registered after v2, so v2 is the preferred version.
 */
export const horizontalpodautoscalersV1: ResourceDef = {
  ...horizontalpodautoscalers,
  version: 'v1',
  conversion: {
    fromStored: autoscalerToV1,
    // Stored objects get v2's defaults, as kube-apiserver defaults them when it decodes them.
    toStored: (obj) => {
      const v2 = autoscalerToV2(obj);
      if (v2 !== obj) defaultAutoscaler(v2);
      return v2;
    },
  },
  defaults(obj) {
    // SetDefaults_HorizontalPodAutoscaler (autoscaling/v1): only minReplicas.
    const spec = ensureRecord(obj, 'spec');
    if (absent(spec.minReplicas)) spec.minReplicas = 1;
  },
  validate: (obj) => {
    // The object as it will be stored: converted, then defaulted as v2 (a behavior annotation
    // without policies gets the default ones, as it would on a v2 write).
    const v2 = autoscalerToV2(structuredClone(obj));
    defaultAutoscaler(v2);
    return horizontalpodautoscalers.validate?.(v2) ?? [];
  },
  cells: (obj, now) => horizontalpodautoscalers.cells(autoscalerToV2(obj), now),
};
