import type { IncomingMessage, ServerResponse } from 'node:http';
import type { UntypedObject } from '../../kube/index.js';
import { applyTo, readApplyRequest } from './apply-request.js';
import { bodyDuplicatesOf } from './body-duplicates.js';
import type { ApiContext } from './context.js';
import { evictPod } from './eviction.js';
import { type FieldTracking, fieldManagerOf } from './field-tracking.js';
import { checkFields, warningHeader } from './fields.js';
import { parseJsonObject } from './http.js';
import { applyPatch, patchTypeOf } from './patch.js';
import { patchProblems, strictPatchError } from './patch-strict.js';
import { bindPod } from './pod-binding.js';
import { listJson, listObject, listObjects, scaleOf } from './read.js';
import type { ResourceRequest } from './request-info.js';
import { applyScale, setScale } from './scale.js';
import { ApiError, badRequest } from './status.js';
import { buildTable, type ResponseShape } from './table.js';
import { serveWatch } from './watch.js';
import { createObject, deleteObject, parseDeleteOptions, updateObject } from './write.js';

/** A handled request's answer: status code and JSON body (watch and proxies write directly). */
export interface Reply {
  readonly code: number;
  readonly body: unknown;
  /** The body already serialized (large lists skip JSON.parse/JSON.stringify). */
  readonly json?: string;
}

/** What a resource handler gets: context, parsed request, the HTTP pair, response shape and body. */
export interface HandlerInput {
  readonly ctx: ApiContext;
  readonly info: ResourceRequest;
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly shape: ResponseShape;
  /** The request body (already read within the size limit); empty for GET. */
  readonly body: Buffer;
  /**
   * Admission for creates and updates of the object itself (not status): throws to refuse
   * `next` (current is undefined on create). @default none
   */
  readonly admit?: (current: UntypedObject | undefined, next: UntypedObject) => void;
  /**
   * Throws unless the caller may also `create` the resource: an apply that creates the object
   * is checked as a create, as upstream's patch-create. @default allowed
   */
  readonly authorizeCreate?: () => Promise<void>;
}

function requireName(info: ResourceRequest): string {
  if (!info.name)
    throw new ApiError(405, 'MethodNotAllowed', `${info.verb} needs an object name in the path`);
  return info.name;
}

function objectReply(input: HandlerInput, code: number, obj: UntypedObject): Reply {
  if (input.shape.table && input.req.method === 'GET') {
    return {
      code,
      body: buildTable(
        input.info.def,
        [obj],
        { resourceVersion: obj.metadata?.resourceVersion },
        input.info.query.get('includeObject'),
        input.shape,
        input.ctx.now(),
      ),
    };
  }
  return { code, body: obj };
}

function bodyObject(input: HandlerInput): UntypedObject {
  const obj = parseJsonObject(input.body) as UntypedObject;
  const mode = input.info.query.get('fieldValidation');
  // A YAML body converted to JSON (http.ts) or a body admission rewrote reports the original's.
  const found = bodyDuplicatesOf(input.body);
  return checkFields(input.info.def, obj, mode, input.res, {
    decoding: true,
    duplicates: found.json,
    yamlDuplicates: found.yaml,
  });
}

function isDryRun(info: ResourceRequest): boolean {
  const d = info.query.get('dryRun');
  if (d && d !== 'All') throw badRequest(`dryRun "${d}" is not supported: use dryRun=All`);
  return d === 'All';
}

/**
 * Replaces the object (PUT or PATCH) with what `build` makes of it, after the request's admission
 * (status writes skip it: they keep everything but status).
 */
function replace(
  input: HandlerInput,
  name: string,
  build: (current: UntypedObject) => UntypedObject,
  tracking: FieldTracking,
): Promise<UntypedObject> {
  const { ctx, info, admit } = input;
  const ns = info.def.namespaced ? info.namespace : undefined;
  const admitted =
    !admit || info.subresource === 'status' || info.subresource === 'approval'
      ? build
      : (current: UntypedObject) => {
          const next = build(current);
          admit(current, next);
          return next;
        };
  return updateObject(ctx, info.def, ns, name, info.subresource, admitted, isDryRun(info), tracking);
}

/** The managedFields entry of a create, update or non-apply patch (manager validated, 422 when bad). */
function trackingOf(
  input: HandlerInput,
  optionsKind: 'CreateOptions' | 'UpdateOptions' | 'PatchOptions',
): FieldTracking {
  const { info } = input;
  const manager = fieldManagerOf(info.query, input.req.headers['user-agent'], optionsKind, false);
  return { manager, ...(info.subresource ? { subresource: info.subresource } : {}) };
}

/** Server-side apply: merges the configuration into the object, or creates it when missing (201). */
async function serverSideApply(input: HandlerInput, name: string): Promise<Reply> {
  const { ctx, info } = input;
  const ns = info.def.namespaced ? info.namespace : undefined;
  const request = await readApplyRequest(input);
  const dryRun = isDryRun(info);
  if (info.subresource === 'scale')
    return { code: 200, body: await applyScale(input, name, request, dryRun) };
  if (!info.subresource && !(await ctx.resources.get(info.def, ns, name))) {
    await input.authorizeCreate?.();
    const obj = applyTo(input, request, undefined);
    input.admit?.(undefined, obj);
    return { code: 201, body: await createObject(ctx, info.def, ns, obj, dryRun, request.tracking) };
  }
  const updated = await replace(input, name, (cur) => applyTo(input, request, cur), request.tracking);
  return { code: 200, body: updated };
}

/**
 * Handles a resource request (everything except watch, log and exec, which stream) and returns
 * the reply; errors are thrown as ApiError.
 */
export async function handleResource(input: HandlerInput): Promise<Reply | undefined> {
  const { ctx, info } = input;
  const { def, namespace, subresource } = info;
  const ns = def.namespaced ? namespace : undefined;
  if (def.deprecationWarning) input.res.setHeader('Warning', [warningHeader(def.deprecationWarning)]);
  switch (info.verb) {
    case 'get': {
      const obj = await ctx.resources.mustGet(def, ns, requireName(info));
      if (subresource === 'scale') return { code: 200, body: scaleOf(obj, def) };
      return objectReply(input, 200, obj);
    }
    case 'list': {
      if (!input.shape.table) {
        const result = await listObjects(ctx, info, { raw: true });
        return { code: 200, body: undefined, json: listJson(def, result) };
      }
      const result = await listObjects(ctx, info);
      return {
        code: 200,
        body: buildTable(
          def,
          result.items,
          result.metadata,
          info.query.get('includeObject'),
          input.shape,
          ctx.now(),
        ),
      };
    }
    case 'watch':
      await serveWatch(ctx, info, input.req, input.res, input.shape);
      return undefined;
    case 'create': {
      if (subresource === 'binding') return bindPod(input, requireName(info));
      if (subresource === 'eviction') return evictPod(input);
      if (info.name && !subresource)
        throw new ApiError(
          405,
          'MethodNotAllowed',
          `POST to ${def.plural}/${info.name} is not allowed: create at the collection and put the name in metadata.name`,
        );
      if (def.terminating && !subresource)
        throw new ApiError(
          405,
          'MethodNotAllowed',
          'create not allowed while custom resource definition is terminating',
          {
            group: def.group,
            kind: def.plural,
          },
        );
      const obj = bodyObject(input);
      const tracking = trackingOf(input, 'CreateOptions');
      input.admit?.(undefined, obj);
      return { code: 201, body: await createObject(ctx, def, ns, obj, isDryRun(info), tracking) };
    }
    case 'update': {
      const name = requireName(info);
      const body = bodyObject(input);
      const tracking = trackingOf(input, 'UpdateOptions');
      if (subresource === 'scale')
        return { code: 200, body: await setScale(input, name, () => body, tracking, isDryRun(info)) };
      return { code: 200, body: await replace(input, name, () => body, tracking) };
    }
    case 'patch': {
      const name = requireName(info);
      const type = patchTypeOf(input.req.headers['content-type']);
      if (type === 'apply') return serverSideApply(input, name);
      const tracking = trackingOf(input, 'PatchOptions');
      if (subresource === 'scale')
        return {
          code: 200,
          body: await setScale(
            input,
            name,
            (scale) => applyPatch(type, scale, input.body),
            tracking,
            isDryRun(info),
          ),
        };
      const mode = info.query.get('fieldValidation');
      const problems = mode === 'Ignore' ? [] : patchProblems(type, input.body);
      const patched = await replace(
        input,
        name,
        (cur) => {
          const result = applyPatch(type, cur, input.body);
          return checkFields(def, result, mode, input.res, {
            patchProblems: problems,
            strictError: strictPatchError(type, input.body, result),
          });
        },
        tracking,
      );
      return { code: 200, body: patched };
    }
    case 'delete': {
      const options = parseDeleteOptions(
        input.body.length ? parseJsonObject(input.body) : undefined,
        info.query,
      );
      return { code: 200, body: await deleteObject(ctx, def, ns, requireName(info), options) };
    }
    case 'deletecollection': {
      const options = parseDeleteOptions(
        input.body.length ? parseJsonObject(input.body) : undefined,
        info.query,
      );
      const listed = await listObjects(ctx, info);
      const items: UntypedObject[] = [];
      for (const obj of listed.items) {
        const name = String(obj.metadata?.name);
        const done = await deleteObject(ctx, def, obj.metadata?.namespace, name, options).catch(
          (err: unknown) => {
            if (err instanceof ApiError && err.code === 404) return undefined;
            throw err;
          },
        );
        if (done) items.push(done);
      }
      return { code: 200, body: listObject(def, { items, metadata: listed.metadata }) };
    }
  }
}
