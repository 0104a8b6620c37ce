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
