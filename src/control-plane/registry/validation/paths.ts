import type { StatusCause } from '../../../kube/index.js';
import { invalid } from './field.js';

/** `validateLocalDescendingPath`: relative, and no `..` element (seccomp profiles, item paths). */
export function checkLocalDescendingPath(path: string, field: string): StatusCause[] {
  const out: StatusCause[] = [];
  if (path.startsWith('/')) out.push(invalid(field, path, 'must be a relative path'));
  if (path.split('/').includes('..')) out.push(invalid(field, path, "must not contain '..'"));
  return out;
}

/** `ValidateLocalNonReservedPath`: a descending path that does not start with `..` either. */
export function checkLocalNonReservedPath(path: string, field: string): StatusCause[] {
  const out = checkLocalDescendingPath(path, field);
  if (path.startsWith('..') && !path.startsWith('../'))
    out.push(invalid(field, path, "must not start with '..'"));
  return out;
}

/** Upstream's message for a file mode outside 0..0777. */
export const FILE_MODE_MSG = 'must be a number between 0 and 0777 (octal), both inclusive';
