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

type Filter = { readonly path: Step[]; readonly op?: string; readonly value?: string | number };
type Step = string | number | '*' | { readonly filter: Filter };

const FIELD = /\.((?:\\.|[^.[\\\s])+)/y;
const BRACKET =
  /\[(?:(-?\d+)|(\*)|'([^']*)'|"([^"]*)"|\?\(@((?:\.(?:\\.|[^.[\s=!<>)\\])+)+)\s*(?:(==|!=|<=|>=|<|>)\s*(?:'([^']*)'|"([^"]*)"|(-?\d+(?:\.\d+)?)))?\s*\))\]/y;

function parseSteps(p: string): Step[] | undefined {
  const steps: Step[] = [];
  let at = 0;
  while (at < p.length) {
    FIELD.lastIndex = at;
    BRACKET.lastIndex = at;
    const f = FIELD.exec(p);
    if (f) {
      steps.push(f[1] === '*' ? '*' : f[1]!.replace(/\\(.)/g, '$1'));
      at = FIELD.lastIndex;
      continue;
    }
    const b = BRACKET.exec(p);
    if (!b) return undefined;
    at = BRACKET.lastIndex;
    if (b[1] !== undefined) steps.push(Number(b[1]));
    else if (b[2]) steps.push('*');
    else if (b[3] !== undefined || b[4] !== undefined) steps.push((b[3] ?? b[4])!);
    else {
      const path = parseSteps(b[5]!);
      if (!path) return undefined;
      const value = b[7] ?? b[8] ?? (b[9] !== undefined ? Number(b[9]) : undefined);
      steps.push({ filter: { path, ...(b[6] ? { op: b[6], value } : {}) } });
    }
  }
  return steps;
}

/**
 * Parses the JSONPath printer columns use, as kube's jsonpath package reads it: `.a.b`, escaped
 * dots in names (`.metadata.labels.example\.com/x`), `[0]`, `[*]`, `['b.c']`, filters such as
 * `[?(@.type=="Ready")]` and `{...}` braces around it. Undefined for anything else (the column
 * then prints empty).
 */
export function parseJsonPath(path: string): Step[] | undefined {
  let p = path.trim();
  if (p.startsWith('{') && p.endsWith('}')) p = p.slice(1, -1);
  const steps = parseSteps(p);
  return steps?.length ? steps : undefined;
}

function matches(item: unknown, f: Filter): boolean {
  const [got] = lookupAll(item, f.path);
  if (f.op === undefined) return got !== undefined;
  if (got === undefined) return false;
  const a = got as string | number;
  const b = f.value!;
  switch (f.op) {
    case '==':
      return a === b;
    case '!=':
      return a !== b;
    default:
      if (typeof a !== 'number' || typeof b !== 'number') return false;
      return f.op === '<' ? a < b : f.op === '>' ? a > b : f.op === '<=' ? a <= b : a >= b;
  }
}

/** Every value the path reaches, in document order. */
function lookupAll(obj: unknown, steps: readonly Step[]): unknown[] {
  let cur: unknown[] = [obj];
  for (const s of steps) {
    const next: unknown[] = [];
    for (const v of cur) {
      if (typeof s === 'number') {
        if (Array.isArray(v)) next.push(v[s < 0 ? v.length + s : s]);
      } else if (s === '*') {
        if (Array.isArray(v)) next.push(...v);
        else if (isObject(v)) next.push(...Object.values(v));
      } else if (typeof s === 'string') {
        if (isObject(v)) next.push(v[s]);
      } else if (Array.isArray(v)) next.push(...v.filter((item) => matches(item, s.filter)));
    }
    cur = next.filter((v) => v !== undefined);
    if (cur.length === 0) return [];
  }
  return cur;
}

/** The first value the path reaches: upstream's table convertor prints only the first result. */
function lookup(obj: unknown, steps: readonly Step[]): unknown {
  return lookupAll(obj, steps)[0];
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
