import type { UntypedObject } from '../../kube/index.js';
import { withCustomReplicas } from '../apiextensions/custom-scale.js';
import type { ResourceDef } from '../registry/types.js';
import { isRecord } from '../registry/validation.js';
import { applyEntries } from './apply/field-manager.js';
import { startingEntries } from './apply/managed-fields.js';
import { parentEntriesOf, SCALE_REPLICAS, scaleEntriesOf } from './apply/scale-fields.js';
import type { TypeNode } from './apply/type-node.js';
import { type ApplyRequest, scaleResourceDef } from './apply-request.js';
import { applyTypeOf, asApiError, type FieldTracking, writerOf } from './field-tracking.js';
import type { HandlerInput } from './handlers.js';
import { scaleOf } from './read.js';
import { ApiError, conflict } from './status.js';
import { updateObject } from './write.js';

let scaleType: TypeNode | undefined;

/** The apply types of autoscaling/v1 Scale (upstream's definition), made once. */
function scaleTypeOf(def: ResourceDef): TypeNode {
  scaleType ??= applyTypeOf(scaleResourceDef(def));
  return scaleType;
}

/**
 * Writes the replica count `change` makes of the object's Scale (PUT, a patch, or an apply of
 * the scale subresource): 422 for a count that is not a whole number ≥ 0, 409 when the Scale's
 * resourceVersion is stale. `change` also gets the stored object (apply reads its managedFields).
 */
export async function setScale(
  input: HandlerInput,
  name: string,
  change: (scale: UntypedObject, current: UntypedObject) => UntypedObject,
  tracking: FieldTracking,
  dryRun: boolean,
): Promise<unknown> {
  const { ctx, info } = input;
  const ns = info.def.namespaced ? info.namespace : undefined;
  const updated = await updateObject(
    ctx,
    info.def,
    ns,
    name,
    undefined,
    (cur) => {
      const scale = change(scaleOf(cur, info.def) as UntypedObject, cur);
      const replicas = isRecord(scale.spec) ? scale.spec.replicas : undefined;
      if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0) {
        throw new ApiError(
          422,
          'Invalid',
          `Scale.autoscaling "${name}" is invalid: spec.replicas: Invalid value: ${JSON.stringify(replicas)}: must be greater than or equal to 0`,
        );
      }
      const rv = scale.metadata?.resourceVersion;
      if (rv && rv !== cur.metadata?.resourceVersion) {
        throw conflict(
          { group: info.def.group, resource: info.def.plural },
          name,
          'the object has been modified; please apply your changes to the latest version and try again',
        );
      }
      if (info.def.customScale) return withCustomReplicas(info.def, cur, replicas);
      return { ...cur, spec: { ...(cur.spec as object), replicas } };
    },
    dryRun,
    tracking,
  );
  return scaleOf(updated, info.def);
}

/** The parent's replicas field as a field path: `.spec.replicas`, or a CRD's specReplicasPath. */
function replicasPath(input: HandlerInput): string[] {
  const custom = input.info.def.customScale?.specReplicasPath;
  return custom ? custom.map((p) => `f:${p}`) : [...SCALE_REPLICAS];
}

/**
 * Server-side apply of an autoscaling/v1 Scale to a deployment, replica set, stateful set or
 * custom resource, as upstream's ScaleHandler: the managers owning the parent's replicas field
 * own the Scale's `.spec.replicas`, the apply merges and checks conflicts on that view, and the
 * outcome goes back to the parent's managedFields (the applier's entry with `subresource: scale`).
 * A replica count the applier stops applying, and nobody else owns, becomes 0 (the Scale's zero
 * value), as upstream.
 */
export function applyScale(
  input: HandlerInput,
  name: string,
  request: ApplyRequest,
  dryRun: boolean,
): Promise<unknown> {
  const { def } = input.info;
  const type = scaleTypeOf(def);
  const path = replicasPath(input);
  return setScale(
    input,
    name,
    (scale, cur) => {
      try {
        const parent = startingEntries(undefined, cur.metadata?.managedFields, 'scale');
        const writer = writerOf(def, request.tracking, input.ctx.now());
        const result = applyEntries(
          scaleEntriesOf(parent, path),
          scale,
          request.config,
          type,
          writer,
          request.force,
        );
        request.decided = parentEntriesOf(parent, result.entries, path, writer.apiVersion);
        const spec = isRecord(result.object.spec) ? result.object.spec : {};
        return { ...result.object, spec: { ...spec, replicas: spec.replicas ?? 0 } } as UntypedObject;
      } catch (err) {
        throw asApiError(err);
      }
    },
    request.tracking,
    dryRun,
  );
}
