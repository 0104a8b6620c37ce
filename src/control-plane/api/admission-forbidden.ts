import type { StatusCause } from '../../kube/index.js';
import type { ResourceDef } from '../registry/types.js';
import { ApiError } from './status.js';

/** admission.NewForbidden: `pods "x" is forbidden: <why>`. */
export function forbiddenFor(def: ResourceDef, name: string, why: string, causes?: StatusCause[]): ApiError {
  const resource = def.group ? `${def.plural}.${def.group}` : def.plural;
  return new ApiError(403, 'Forbidden', `${resource}${name ? ` "${name}"` : ''} is forbidden: ${why}`, {
    name,
    group: def.group,
    kind: def.plural,
    ...(causes ? { causes } : {}),
  });
}
