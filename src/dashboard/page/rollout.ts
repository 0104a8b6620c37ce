import type { Obj } from './state.js';

/**
 * A Deployment's rollout state in the words of `kubectl rollout status`
 * (kubectl's DeploymentStatusViewer), so the page and the terminal agree.
 */
export function rolloutState(d: Obj): { done: boolean; text: string } {
  const spec = d.spec ?? {};
  const st = d.status ?? {};
  const want = spec.replicas ?? 1;
  const updated = st.updatedReplicas ?? 0;
  const total = st.replicas ?? 0;
  const available = st.availableReplicas ?? 0;
  if ((d.metadata.generation ?? 0) > (st.observedGeneration ?? 0)) {
    return { done: false, text: 'waiting for deployment spec update to be observed' };
  }
  const progressing = (st.conditions ?? []).find((c: { type: string }) => c.type === 'Progressing');
  if (progressing?.reason === 'ProgressDeadlineExceeded') {
    return { done: false, text: 'exceeded its progress deadline' };
  }
  if (updated < want)
    return { done: false, text: `${updated} out of ${want} new replicas have been updated` };
  if (total > updated)
    return { done: false, text: `${total - updated} old replicas are pending termination` };
  if (available < updated)
    return { done: false, text: `${available} of ${updated} updated replicas are available` };
  return { done: true, text: 'successfully rolled out' };
}

const observed = (o: Obj) => (o.metadata.generation ?? 0) <= (o.status?.observedGeneration ?? 0);

/** A StatefulSet's rollout state in `kubectl rollout status`'s words (StatefulSetStatusViewer). */
export function statefulSetRollout(s: Obj): { done: boolean; text: string } {
  const spec = s.spec ?? {};
  const st = s.status ?? {};
  if ((spec.updateStrategy?.type ?? 'RollingUpdate') !== 'RollingUpdate') {
    return { done: true, text: `updateStrategy ${spec.updateStrategy?.type}: no rollout status` };
  }
  if (!observed(s)) return { done: false, text: 'waiting for statefulset spec update to be observed' };
  const want = spec.replicas ?? 1;
  if ((st.readyReplicas ?? 0) < want) {
    return { done: false, text: `waiting for ${want - (st.readyReplicas ?? 0)} pods to be ready` };
  }
  const partition = spec.updateStrategy?.rollingUpdate?.partition ?? 0;
  if (partition > 0) {
    const updated = st.updatedReplicas ?? 0;
    return updated < want - partition
      ? { done: false, text: `${updated} out of ${want - partition} new pods have been updated` }
      : { done: true, text: 'partitioned roll out complete' };
  }
  if (st.updateRevision !== st.currentRevision) {
    return {
      done: false,
      text: `rolling update to complete ${st.updatedReplicas ?? 0} pods at revision ${st.updateRevision}`,
    };
  }
  return {
    done: true,
    text: `rolling update complete ${st.currentReplicas ?? want} pods at revision ${st.currentRevision ?? ''}`,
  };
}

/** A DaemonSet's rollout state in `kubectl rollout status`'s words (DaemonSetStatusViewer). */
export function daemonSetRollout(d: Obj): { done: boolean; text: string } {
  const st = d.status ?? {};
  if (!observed(d)) return { done: false, text: 'waiting for daemon set spec update to be observed' };
  const want = st.desiredNumberScheduled ?? 0;
  const updated = st.updatedNumberScheduled ?? 0;
  if (updated < want) return { done: false, text: `${updated} out of ${want} new pods have been updated` };
  const available = st.numberAvailable ?? 0;
  if (available < want) return { done: false, text: `${available} of ${want} updated pods are available` };
  return { done: true, text: 'successfully rolled out' };
}

/** A Job's state: Complete or Failed from its conditions, else running. */
export function jobState(j: Obj): { done: boolean; text: string } {
  const conds = (j.status?.conditions ?? []) as { type: string; status: string; reason?: string }[];
  const failed = conds.find((c) => c.type === 'Failed' && c.status === 'True');
  if (failed) return { done: false, text: `Failed${failed.reason ? ` (${failed.reason})` : ''}` };
  if (conds.some((c) => c.type === 'Complete' && c.status === 'True'))
    return { done: true, text: 'Complete' };
  if (j.spec?.suspend) return { done: false, text: 'Suspended' };
  return { done: false, text: `Running (${j.status?.active ?? 0} active)` };
}
