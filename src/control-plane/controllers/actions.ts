import type { KubeObject } from '../../kube/index.js';
import { clone, fieldsDiffer } from '../machinery/objects.js';
import type { ResourceName } from '../machinery/resources.js';

/**
 * What a reconcile decided to do, as data. Pure reconcile functions return actions; the controller
 * loop applies them through the ControllerApi. Tests assert on actions without any server.
 */
export type Action =
  | { readonly verb: 'create'; readonly resource: ResourceName; readonly object: KubeObject }
  | { readonly verb: 'update'; readonly resource: ResourceName; readonly object: KubeObject }
  | { readonly verb: 'updateStatus'; readonly resource: ResourceName; readonly object: KubeObject }
  | {
      readonly verb: 'delete';
      readonly resource: ResourceName;
      readonly namespace: string | undefined;
      readonly name: string;
      /** Expected uid, so a recreated object of the same name is not deleted by mistake. */
      readonly uid?: string;
      /** 0 forces deletion (pods on unreachable nodes). */
      readonly gracePeriodSeconds?: number;
      /** How dependents are handled. @default the server's default (Background) */
      readonly propagationPolicy?: 'Background' | 'Foreground' | 'Orphan';
      /**
       * Delete only if this owner is really gone (checked live before deleting, because the
       * owner's cache can lag the dependent's).
       */
      readonly ifAbsent?: {
        readonly resource: ResourceName;
        readonly namespace: string | undefined;
        readonly name: string;
        /** When set, an object of that name with another uid counts as absent. */
        readonly uid?: string;
      };
    }
  | {
      readonly verb: 'event';
      readonly involved: KubeObject;
      readonly type: 'Normal' | 'Warning';
      readonly reason: string;
      readonly message: string;
    };

/** Shorthand for an Event action. */
export function eventAction(
  involved: KubeObject,
  type: 'Normal' | 'Warning',
  reason: string,
  message: string,
): Action {
  return { verb: 'event', involved, type, reason, message };
}

/** Shorthand for deleting an object by its metadata. */
export function deleteAction(
  resource: ResourceName,
  obj: Pick<KubeObject, 'metadata'>,
  gracePeriodSeconds?: number,
  propagationPolicy?: DeleteAction['propagationPolicy'],
): DeleteAction {
  return {
    verb: 'delete',
    resource,
    namespace: obj.metadata.namespace,
    name: obj.metadata.name ?? '',
    ...(obj.metadata.uid ? { uid: obj.metadata.uid } : {}),
    ...(gracePeriodSeconds !== undefined ? { gracePeriodSeconds } : {}),
    ...(propagationPolicy ? { propagationPolicy } : {}),
  };
}

/** The delete variant of Action. */
export type DeleteAction = Extract<Action, { verb: 'delete' }>;

/**
 * The status write a reconcile ends with: none when every field of `status` already matches the
 * object's, else an updateStatus of a copy of `obj` carrying `status`.
 */
export function statusUpdate<T extends KubeObject & { status?: object }>(
  resource: ResourceName,
  obj: T,
  status: NonNullable<T['status']>,
): Action[] {
  if (!fieldsDiffer(status, obj.status)) return [];
  return [{ verb: 'updateStatus', resource, object: { ...clone(obj), status } as T }];
}
