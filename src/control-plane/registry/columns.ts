import type { UntypedObject } from '../../kube/index.js';
import type { TableColumn } from './types.js';
import { getPath, isRecord } from './validation.js';

/** A table column definition (`priority` 1 shows only with `-o wide`). */
export function column(
  name: string,
  description: string,
  priority = 0,
  type: TableColumn['type'] = 'string',
): TableColumn {
  return { name, type, format: name === 'Name' ? 'name' : '', description, priority };
}

/** The NAME column every kind starts with. */
export const nameColumn = column('Name', 'Name must be unique within a namespace.');
/** The CREATED AT column of kinds kubectl prints by creation time (roles, limit ranges). */
export const createdAt: TableColumn = {
  name: 'Created At',
  type: 'date',
  format: '',
  description: 'CreationTimestamp is a timestamp representing the server time when this object was created.',
  priority: 0,
};

/** The AGE column (creationTimestamp as a kubectl-style age). */
export const ageColumn = column('Age', 'Time since the object was created (CreationTimestamp).');

/**
 * Short human duration the way kubectl prints ages: `45s`, `3m12s`, `25m`, `5h3m`, `3d`, `2y45d`
 * (after k8s.io/apimachinery's HumanDuration).
 */
export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) return seconds % 60 === 0 ? `${minutes}m` : `${minutes}m${seconds % 60}s`;
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 8) return minutes % 60 === 0 ? `${hours}h` : `${hours}h${minutes % 60}m`;
  if (hours < 48) return `${hours}h`;
  const days = Math.floor(hours / 24);
  if (days < 8) return hours % 24 === 0 ? `${days}d` : `${days}d${hours % 24}h`;
  if (days < 730) return `${days}d`;
  const years = Math.floor(days / 365);
  return days % 365 === 0 ? `${years}y` : `${years}y${days % 365}d`;
}

/** Age of a timestamp relative to `now`, or `<unknown>` when missing. */
export function age(timestamp: unknown, now: Date): string {
  if (typeof timestamp !== 'string') return '<unknown>';
  const t = Date.parse(timestamp);
  return Number.isNaN(t) ? '<unknown>' : humanDuration(now.getTime() - t);
}

/** `metadata.name`, or empty. */
export function nameOf(obj: UntypedObject): string {
  return obj.metadata?.name ?? '';
}

/** The AGE cell of an object. */
export function ageOf(obj: UntypedObject, now: Date): string {
  return age(obj.metadata?.creationTimestamp, now);
}

/** `a=b,c=d` form of a label map or a LabelSelector's matchLabels/matchExpressions. */
export function selectorString(selector: unknown): string {
  if (!isRecord(selector)) return '<none>';
  const parts: string[] = [];
  const match = isRecord(selector.matchLabels)
    ? selector.matchLabels
    : selector.matchExpressions
      ? {}
      : selector;
  for (const [k, v] of Object.entries(match)) parts.push(`${k}=${String(v)}`);
  if (Array.isArray(selector.matchExpressions)) {
    for (const e of selector.matchExpressions) {
      if (!isRecord(e)) continue;
      const values = Array.isArray(e.values) ? e.values.join(',') : '';
      const op = String(e.operator ?? '');
      if (op === 'Exists') parts.push(String(e.key));
      else if (op === 'DoesNotExist') parts.push(`!${String(e.key)}`);
      else parts.push(`${String(e.key)} ${op.toLowerCase()} (${values})`);
    }
  }
  return parts.length ? parts.join(',') : '<none>';
}

/** Comma-joined container names and images of a pod template, for `-o wide`. */
export function containersAndImages(obj: UntypedObject, templatePath: readonly string[]): [string, string] {
  const containers = getPath(obj, [...templatePath, 'containers']);
  if (!Array.isArray(containers)) return ['', ''];
  const names = containers.map((c) => (isRecord(c) ? String(c.name ?? '') : ''));
  const images = containers.map((c) => (isRecord(c) ? String(c.image ?? '') : ''));
  return [names.join(','), images.join(',')];
}

/** A number at `path`, or 0. */
export function num(obj: unknown, path: readonly string[]): number {
  const v = getPath(obj, path);
  return typeof v === 'number' ? v : 0;
}
