import type { Pod, ReplicaSet, ReplicationController } from '../../kube/index.js';
import { clone } from '../machinery/objects.js';
import { resourceTypes } from '../machinery/resources.js';
import type { Action } from './actions.js';
import { reconcileReplicaSet } from './replicaset-reconcile.js';

/**
 * One ReplicationController reconcile: the ReplicaSet reconcile run on the controller with its
 * selector map read as `matchLabels` (what kube's replication manager does through its adapter);
 * pods and the status write name the ReplicationController itself.
 */
export function reconcileReplicationController(
  rc: ReplicationController,
  pods: readonly Pod[],
  now: number,
): Action[] {
  const template = rc.spec.template ?? { spec: { containers: [] } };
  const asSet: ReplicaSet = {
    ...rc,
    spec: {
      ...(rc.spec.replicas !== undefined ? { replicas: rc.spec.replicas } : {}),
      ...(rc.spec.minReadySeconds !== undefined ? { minReadySeconds: rc.spec.minReadySeconds } : {}),
      selector: { matchLabels: rc.spec.selector ?? {} },
      template,
    },
  };
  // Without a selector nothing may be claimed (an empty selector would match every pod).
  if (!rc.spec.selector || Object.keys(rc.spec.selector).length === 0 || !rc.spec.template) return [];
  return reconcileReplicaSet(asSet, pods, now, resourceTypes.replicationcontrollers).map((a) =>
    a.verb === 'updateStatus'
      ? { ...a, object: { ...clone(rc), status: (a.object as ReplicaSet).status } }
      : a,
  );
}
