import type { ResourceType } from './types.js';

/** Builds the REST path of a collection or an object (and optional subresource). Pure. */
export function buildPath(
  type: ResourceType,
  options: {
    namespace?: string | undefined;
    name?: string | undefined;
    subresource?: string | undefined;
  } = {},
): string {
  const prefix = type.group === '' ? `/api/${type.version}` : `/apis/${type.group}/${type.version}`;
  const ns =
    type.namespaced && options.namespace ? `/namespaces/${encodeURIComponent(options.namespace)}` : '';
  const name = options.name ? `/${encodeURIComponent(options.name)}` : '';
  const sub = options.name && options.subresource ? `/${options.subresource}` : '';
  return `${prefix}${ns}/${type.resource}${name}${sub}`;
}

/** Appends a query string built from the defined values of `params`. Pure. */
export function withQuery(
  path: string,
  params: Record<string, string | number | boolean | undefined>,
): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `${path}?${s}` : path;
}

/** Renders `{a: 'b', c: 'd'}` as the selector `a=b,c=d`. Pure. */
export function renderSelector(
  selector: Readonly<Record<string, string>> | string | undefined,
): string | undefined {
  if (selector === undefined || typeof selector === 'string') return selector;
  return Object.entries(selector)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}
