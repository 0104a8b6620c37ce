import type { UntypedObject } from '../../kube/index.js';
import { age } from '../registry/columns.js';
import type { TableColumn } from '../registry/types.js';
import { isObject } from './schema-types.js';

/** One `additionalPrinterColumns` entry of a CRD version. */
export interface PrinterColumn {
  readonly name: string;
  readonly type: 'integer' | 'number' | 'string' | 'boolean' | 'date';
  readonly format?: string;
  readonly description?: string;
  readonly priority?: number;
  readonly jsonPath: string;
}

/** The default when a version declares no columns: Age from creationTimestamp, as upstream. */
const DEFAULT_COLUMNS: readonly PrinterColumn[] = [
  {
    name: 'Age',
    type: 'date',
    jsonPath: '.metadata.creationTimestamp',
    description:
      'CreationTimestamp is a timestamp representing the server time when this object was created.',
  },
];

type Step = string | number;

/**
 * Parses the JSONPath subset printer columns use: `.a.b`, `.a[0].b`, `.a['b.c']` and `{...}`
 * braces around it. Undefined for anything else (the column then prints empty).
 */
export function parseJsonPath(path: string): Step[] | undefined {
  let p = path.trim();
  if (p.startsWith('{') && p.endsWith('}')) p = p.slice(1, -1);
  const steps: Step[] = [];
  const re = /\.([A-Za-z0-9_-]+)|\[(\d+)\]|\['([^']*)'\]|\["([^"]*)"\]/y;
  let at = 0;
  while (at < p.length) {
    re.lastIndex = at;
    const m = re.exec(p);
    if (!m) return undefined;
    steps.push(m[1] ?? (m[2] !== undefined ? Number(m[2]) : (m[3] ?? m[4]!)));
    at = re.lastIndex;
  }
  return steps.length ? steps : undefined;
}

function lookup(obj: unknown, steps: readonly Step[]): unknown {
  let cur = obj;
  for (const s of steps) {
    if (typeof s === 'number') cur = Array.isArray(cur) ? cur[s] : undefined;
    else cur = isObject(cur) ? cur[s] : undefined;
    if (cur === undefined) return undefined;
  }
  return cur;
}

/** A cell as upstream prints it: values of the wrong type are omitted, dates become ages. */
function cell(col: PrinterColumn, value: unknown, now: Date): unknown {
  if (value === undefined || value === null) return null;
  switch (col.type) {
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value) ? value : null;
    case 'number':
      return typeof value === 'number' ? value : null;
    case 'boolean':
      return typeof value === 'boolean' ? value : null;
    case 'date':
      return typeof value === 'string' ? age(value, now) : null;
    default:
      return typeof value === 'string' ? value : JSON.stringify(value);
  }
}

/** Table columns and a cell function for a CRD version's printer columns (NAME first). */
export function buildPrinterColumns(declared: readonly PrinterColumn[] | undefined): {
  columns: TableColumn[];
  cells: (obj: UntypedObject, now: Date) => unknown[];
} {
  const cols = declared?.length ? declared : DEFAULT_COLUMNS;
  const paths = cols.map((c) => parseJsonPath(c.jsonPath));
  const columns: TableColumn[] = [
    {
      name: 'Name',
      type: 'string',
      format: 'name',
      description: 'Name must be unique within a namespace.',
      priority: 0,
    },
    ...cols.map((c) => ({
      name: c.name,
      // Dates print as ages, which kubectl expects as strings.
      type: c.type === 'date' ? ('date' as const) : c.type,
      format: c.format ?? '',
      description: c.description ?? '',
      priority: c.priority ?? 0,
    })),
  ];
  return {
    columns,
    cells: (obj, now) => [
      String(obj.metadata?.name ?? ''),
      ...cols.map((c, i) => (paths[i] ? cell(c, lookup(obj, paths[i]!), now) : null)),
    ],
  };
}
