import jsonpatch from 'fast-json-patch';
import type { UntypedObject } from '../../kube/index.js';
import { isRecord } from '../registry/validation.js';
import { checkDepth } from './http.js';
import { ApiError, badRequest } from './status.js';
import { mergePatch, strategicMerge } from './strategic-merge.js';

/** The three patch formats the server applies. */
export type PatchType = 'json' | 'merge' | 'strategic';

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
    default:
      throw new ApiError(
        415,
        'UnsupportedMediaType',
        `the body of the request was in an unknown format (${type || 'none'}): use application/json-patch+json, application/merge-patch+json or application/strategic-merge-patch+json (server-side apply is not supported)`,
      );
  }
}

/** Applies a patch of `type` to `current`; bad patches are 400, patches that do not apply are 422. */
export function applyPatch(type: PatchType, current: UntypedObject, body: Buffer): UntypedObject {
  let patch: unknown;
  try {
    patch = JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw badRequest(`the patch is not valid JSON: ${(err as Error).message}`);
  }
  checkDepth(patch);
  let result: unknown;
  if (type === 'json') {
    if (!Array.isArray(patch))
      throw badRequest(
        'a JSON patch must be a list of operations, e.g. [{"op":"replace","path":"/spec/replicas","value":3}]',
      );
    let invalidOp: jsonpatch.JsonPatchError | undefined;
    try {
      invalidOp = jsonpatch.validate(patch as jsonpatch.Operation[], structuredClone(current));
      if (!invalidOp)
        result = jsonpatch.applyPatch(
          structuredClone(current),
          patch as jsonpatch.Operation[],
          false,
          true,
        ).newDocument;
    } catch (err) {
      // fast-json-patch throws plain TypeErrors for some paths through missing parents.
      throw new ApiError(
        422,
        'Invalid',
        `the JSON patch cannot be applied: ${(err as Error).message.split('\n')[0]}`,
      );
    }
    if (invalidOp) {
      const code =
        invalidOp.name === 'TEST_OPERATION_FAILED' || invalidOp.name.includes('UNRESOLVABLE') ? 422 : 400;
      throw new ApiError(
        code,
        code === 422 ? 'Invalid' : 'BadRequest',
        `the JSON patch cannot be applied: ${invalidOp.message.split('\n')[0]} (operation ${invalidOp.index ?? '?'})`,
      );
    }
  } else {
    if (!isRecord(patch)) throw badRequest(`a ${type} patch must be a JSON object`);
    result = type === 'merge' ? mergePatch(current, patch) : strategicMerge(current, patch);
  }
  if (!isRecord(result)) throw new ApiError(422, 'Invalid', 'the patched object is not a JSON object');
  return result as UntypedObject;
}
