import type { UntypedObject } from '../../kube/index.js';
import type { ResourceDef } from '../registry/types.js';
import { acceptParams } from './http.js';

/** What the client asked the response to look like (from the Accept header). */
export interface ResponseShape {
  /** `as=Table` was requested. */
  readonly table: boolean;
  /** The meta.k8s.io version of the Table asked for (v1 or v1beta1). */
  readonly tableVersion: string;
}

/** Reads the Accept header: kubectl `get` asks for `application/json;as=Table;v=v1;g=meta.k8s.io`. */
export function responseShape(accept: string | undefined): ResponseShape {
  for (const params of acceptParams(accept)) {
    if (params.get('as') === 'Table' && params.get('g') === 'meta.k8s.io') {
      const v = params.get('v') ?? 'v1';
      if (v === 'v1' || v === 'v1beta1') return { table: true, tableVersion: v };
    }
  }
  return { table: false, tableVersion: 'v1' };
}

function rowObject(obj: UntypedObject, includeObject: string | null, shape: ResponseShape): unknown {
  if (includeObject === 'None') return undefined;
  if (includeObject === 'Object') return obj;
  return {
    kind: 'PartialObjectMetadata',
    apiVersion: `meta.k8s.io/${shape.tableVersion}`,
    metadata: obj.metadata,
  };
}

/**
 * Builds a meta.k8s.io Table of `objects` with the resource's columns. `includeObject` follows the
 * query parameter (None, Metadata (default), Object).
 */
export function buildTable(
  def: ResourceDef,
  objects: readonly UntypedObject[],
  listMeta: Record<string, unknown>,
  includeObject: string | null,
  shape: ResponseShape,
  now: Date,
): Record<string, unknown> {
  return {
    kind: 'Table',
    apiVersion: `meta.k8s.io/${shape.tableVersion}`,
    metadata: listMeta,
    columnDefinitions: def.columns,
    rows: objects.map((obj) => {
      const object = rowObject(obj, includeObject, shape);
      return { cells: def.cells(obj, now), ...(object === undefined ? {} : { object }) };
    }),
  };
}
