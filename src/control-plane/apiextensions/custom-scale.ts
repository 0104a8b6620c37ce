import type { UntypedObject } from '../../kube/index.js';
import type { ResourceDef } from '../registry/types.js';
import { isObject } from './schema-types.js';

/** A copy of `obj` with `replicas` written at the CRD's specReplicasPath (objects made as needed). */
export function withCustomReplicas(def: ResourceDef, obj: UntypedObject, replicas: number): UntypedObject {
  const path = def.customScale!.specReplicasPath;
  const out = structuredClone(obj) as Record<string, unknown>;
  let cur = out;
  for (const p of path.slice(0, -1)) {
    if (!isObject(cur[p])) cur[p] = {};
    cur = cur[p] as Record<string, unknown>;
  }
  cur[path[path.length - 1]!] = replicas;
  return out as UntypedObject;
}
