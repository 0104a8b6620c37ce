import type { UntypedObject } from '../../kube/index.js';
import type { ResourceDef } from '../registry/types.js';
import { applyEntries } from './apply/field-manager.js';
import { allowedByLastApplied, updateLastApplied } from './apply/last-applied.js';
import type { ManagedEntry } from './apply/managed-fields.js';
import { startingEntries } from './apply/managed-fields.js';
import { type LenientYaml, parseYamlLeniently, yamlUnmarshalErrors } from './body-duplicates.js';
import { applyTypeOf, asApiError, type FieldTracking, fieldManagerOf, writerOf } from './field-tracking.js';
import { checkFields, warningHeader } from './fields.js';
import type { HandlerInput } from './handlers.js';
import { checkDepth } from './http.js';
import { checkTypeMeta } from './lifecycle.js';
import { badRequest } from './status.js';

/** Parses an apply-patch body: YAML or JSON, one object with apiVersion and kind; repeated keys listed. */
async function parseConfig(body: Buffer): Promise<{ config: UntypedObject; duplicates: string[] }> {
  let parsed: LenientYaml;
  try {
    parsed = await parseYamlLeniently(body.toString('utf8'));
  } catch (err) {
    throw badRequest(`error decoding YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  const config = parsed.value;
  if (config === null || typeof config !== 'object' || Array.isArray(config))
    throw badRequest('the apply patch must be a YAML or JSON object');
  checkDepth(config);
  return { config: config as UntypedObject, duplicates: parsed.duplicates };
}

/**
 * Repeated keys of an apply body under `fieldValidation` (upstream's applyPatcher decodes the
 * patch leniently, then strictly for Strict and Warn): Strict is 400, Warn a Warning header.
 */
function checkRepeatedKeys(
  duplicates: readonly string[],
  mode: string | null,
  res: HandlerInput['res'],
): void {
  if (!duplicates.length || mode === 'Ignore') return;
  const error = `error converting YAML to JSON: ${yamlUnmarshalErrors(duplicates)}`;
  if (mode === 'Strict') throw badRequest(`error strict decoding YAML: ${error}`);
  const prior = res.getHeader('Warning');
  res.setHeader('Warning', [...(Array.isArray(prior) ? prior : []), warningHeader(error)]);
}

/**
 * The kind a scale subresource request reads and writes: autoscaling/v1 Scale, with the parent's
 * scope and names (for messages), without the parent's schema.
 */
export function scaleResourceDef(def: ResourceDef): ResourceDef {
  return {
    ...def,
    group: 'autoscaling',
    version: 'v1',
    kind: 'Scale',
    applySchema: undefined,
    unknownFields: undefined,
    customScale: undefined,
    statusField: undefined,
  };
}

/** The options of an apply request: its manager (required), force, and the parsed configuration. */
export interface ApplyRequest {
  readonly tracking: FieldTracking;
  readonly force: boolean;
  readonly config: UntypedObject;
  /** The entries {@link applyTo} decided, which `tracking` hands to the write. */
  decided?: ManagedEntry[];
}

/**
 * Reads and checks a server-side apply request (`PATCH` with application/apply-patch+yaml):
 * fieldManager required (422), the configuration's kind, apiVersion and fields as for any body,
 * no managedFields in it (400, as upstream).
 */
export async function readApplyRequest(input: HandlerInput): Promise<ApplyRequest> {
  const { info } = input;
  const manager = fieldManagerOf(info.query, input.req.headers['user-agent'], 'PatchOptions', true);
  const force = info.query.get('force');
  if (force !== null && force !== 'true' && force !== 'false')
    throw badRequest(`force ${JSON.stringify(force)} must be true or false`);
  const { config, duplicates } = await parseConfig(input.body);
  checkRepeatedKeys(duplicates, info.query.get('fieldValidation'), input.res);
  if (config.apiVersion === undefined || config.kind === undefined)
    throw badRequest('the apply configuration needs apiVersion and kind');
  // The scale subresource takes an autoscaling/v1 Scale (upstream's check of the patch's version).
  const def = info.subresource === 'scale' ? scaleResourceDef(info.def) : info.def;
  if (info.subresource === 'scale' && config.apiVersion !== 'autoscaling/v1')
    throw badRequest(
      `Incorrect version specified in apply patch. Specified patch version: ${String(config.apiVersion)}, expected: autoscaling/v1`,
    );
  checkTypeMeta(def, config);
  const meta = config.metadata ?? {};
  if (meta.managedFields !== undefined && meta.managedFields !== null)
    throw badRequest('metadata.managedFields must be nil');
  if (meta.name !== undefined && meta.name !== info.name)
    throw badRequest(
      `the name of the object (${String(meta.name)}) does not match the name on the URL (${String(info.name)})`,
    );
  checkFields(def, config, info.query.get('fieldValidation'), input.res);
  const request: ApplyRequest = {
    tracking: {
      manager,
      ...(info.subresource ? { subresource: info.subresource } : {}),
      decided: () => request.decided,
    },
    force: force === 'true',
    config,
  };
  return request;
}

/**
 * Merges the request's configuration into `live` (undefined to create) and returns the object to
 * write; the request's tracking then writes the entries this decided.
 */
export function applyTo(
  input: HandlerInput,
  request: ApplyRequest,
  live: UntypedObject | undefined,
): UntypedObject {
  const { def } = input.info;
  try {
    const stored = live ? startingEntries(undefined, live.metadata?.managedFields, undefined) : [];
    const type = applyTypeOf(def);
    const writer = writerOf(def, request.tracking, input.ctx.now());
    const allowed = allowedByLastApplied(live, type, writer);
    const result = applyEntries(stored, live, request.config, type, writer, request.force, allowed);
    updateLastApplied(result.object, live, request.config, writer);
    request.decided = result.entries;
    const obj = result.object as UntypedObject;
    const meta: Record<string, unknown> = { ...(obj.metadata ?? {}), name: input.info.name };
    delete meta.managedFields;
    return { ...obj, metadata: meta } as UntypedObject;
  } catch (err) {
    throw asApiError(err);
  }
}
