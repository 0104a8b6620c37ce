import type { UntypedObject } from '../../kube/index.js';
import { isRecord } from '../registry/validation.js';
import { checkDepth } from './http.js';
import { applyJsonPatch } from './json-patch.js';
import { ApiError, badRequest } from './status.js';
import { mergePatch, strategicMerge } from './strategic-merge.js';

/** The patch formats the server applies (`apply` is server-side apply, see apply-request.ts). */
export type PatchType = 'json' | 'merge' | 'strategic' | 'apply';

/** The patch type named by a PATCH request's Content-Type (415 for anything else). */
export function patchTypeOf(contentType: string | undefined): PatchType {
  const type = (contentType ?? '').split(';')[0]!.trim();
  switch (type) {
    case 'application/json-patch+json':
      return 'json';
    case 'application/merge-patch+json':
      return 'merge';
    case 'application/strategic-merge-patch+json':
      return 'strategic';
    case 'application/apply-patch+yaml':
      return 'apply';
    default:
      throw new ApiError(
        415,
        'UnsupportedMediaType',
        `the body of the request was in an unknown format (${type || 'none'}): use application/json-patch+json, application/merge-patch+json or application/strategic-merge-patch+json or application/apply-patch+yaml`,
      );
  }
}

/**
 * Applies a patch of `type` to `current`; bad patches are 400, patches that do not apply are 422,
 * patches whose cost exceeds the limits of {@link applyJsonPatch} are 413.
 */
export function applyPatch(
  type: Exclude<PatchType, 'apply'>,
  current: UntypedObject,
  body: Buffer,
): UntypedObject {
  let patch: unknown;
  try {
    patch = JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw badRequest(`the patch is not valid JSON: ${(err as Error).message}`);
  }
  checkDepth(patch);
  let result: unknown;
  if (type === 'json') {
    result = applyJsonPatch(structuredClone(current), patch);
  } else {
    if (!isRecord(patch)) throw badRequest(`a ${type} patch must be a JSON object`);
    result = type === 'merge' ? mergePatch(current, patch) : strategicMerge(current, patch);
  }
  if (!isRecord(result)) throw new ApiError(422, 'Invalid', 'the patched object is not a JSON object');
  checkDepth(result);
  return result as UntypedObject;
}
