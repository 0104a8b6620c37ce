import { resources } from '../../client/types.js';
import type { UntypedObject } from '../../kube/index.js';
import { column, nameColumn, nameOf } from './columns.js';
import { identity, type ResourceDef } from './types.js';
import { getPath, isRecord } from './validation.js';

const usageColumns = [
  nameColumn,
  column('CPU', 'CPU usage'),
  column('Memory', 'Memory usage'),
  column('Window', 'Interval the usage was measured over'),
];

const CPU_UNITS: Record<string, number> = { n: 1e-9, u: 1e-6, m: 1e-3, '': 1 };
const MEMORY_UNITS: Record<string, number> = {
  '': 1,
  Ki: 1024,
  Mi: 1024 ** 2,
  Gi: 1024 ** 3,
  k: 1e3,
  M: 1e6,
};

/** A quantity in the units the metrics API writes (`123456n`, `2048Ki`); NaN otherwise. */
function amount(value: unknown, units: Record<string, number>): number {
  const m = /^(\d+(?:\.\d+)?)([a-zA-Z]*)$/.exec(String(value ?? ''));
  const unit = m ? units[m[2]!] : undefined;
  return m && unit !== undefined ? Number(m[1]) * unit : Number.NaN;
}

/** Usage in kubectl top's units: CPU in millicores, memory in MiB. */
function usageCells(usages: unknown[]): [string, string] {
  const sum = (key: string, units: Record<string, number>) =>
    usages.reduce<number>((a, u) => a + amount(isRecord(u) ? u[key] : undefined, units), 0);
  const cpu = sum('cpu', CPU_UNITS);
  const memory = sum('memory', MEMORY_UNITS);
  return [
    Number.isNaN(cpu) ? '<unknown>' : `${Math.round(cpu * 1000)}m`,
    Number.isNaN(memory) ? '<unknown>' : `${Math.round(memory / 1024 ** 2)}Mi`,
  ];
}

/** A read-only metrics kind whose table shows the summed usage of `usages(obj)`. */
function metricsKind(
  r: (typeof resources)['nodeMetrics' | 'podMetrics'],
  usages: (obj: UntypedObject) => unknown[],
): ResourceDef {
  return {
    ...identity(r),
    singular: '',
    shortNames: [],
    categories: [],
    subresources: [],
    verbs: ['get', 'list'],
    columns: usageColumns,
    cells: (obj) => [nameOf(obj), ...usageCells(usages(obj)), String(obj.window ?? '')],
  };
}

/**
 * metrics.k8s.io/v1beta1 NodeMetrics and PodMetrics: read-only, never stored; the API server
 * answers them from its metrics scraper (api/metrics-api.ts), as metrics-server does.
 */
export const nodemetrics = metricsKind(resources.nodeMetrics, (obj) => [obj.usage]);
export const podmetrics = metricsKind(resources.podMetrics, (obj) =>
  ((getPath(obj, ['containers']) as unknown[] | undefined) ?? []).map((c) =>
    isRecord(c) ? c.usage : undefined,
  ),
);
