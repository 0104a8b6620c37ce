import type { KubeClient } from '../client/client.js';
import { resources } from '../client/types.js';
import { canonicalJson } from '../kube/canonical-json.js';
import type { KubeObject } from '../kube/index.js';

/** A rollback that cannot be done: the page shows the message (409, as a conflict with the current state). */
export class RollbackError extends Error {
  override readonly name = 'RollbackError';
}

/** What a rollback did: rolled back to `revision`, or nothing because the template already matched it. */
export interface RollbackResult {
  readonly revision: number;
  readonly skipped: boolean;
}

interface Template {
  metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: unknown;
}
interface DeploymentLike extends KubeObject {
  spec?: { paused?: boolean; selector?: { matchLabels?: Record<string, string> }; template?: Template };
}
interface ReplicaSetLike extends KubeObject {
  spec?: { template?: Template };
}

const REVISION = 'deployment.kubernetes.io/revision';
const HASH_LABEL = 'pod-template-hash';
/** Annotations of the Deployment that a rollback keeps, and of the ReplicaSet that it does not copy (kubectl's annotationsToSkip). */
const SKIPPED_ANNOTATIONS = new Set([
  'kubectl.kubernetes.io/last-applied-configuration',
  REVISION,
  'deployment.kubernetes.io/revision-history',
  'deployment.kubernetes.io/desired-replicas',
  'deployment.kubernetes.io/max-replicas',
  'deprecated.deployment.rollback.to',
]);

/**
 * Rolls a Deployment back to its previous revision, as `kubectl rollout undo` does: the ReplicaSet
 * it owns with the second-highest `deployment.kubernetes.io/revision` gives the pod template
 * (without its `pod-template-hash` label) and its annotations, written with one JSON patch; the
 * Deployment controller then rolls out as for any template change. A paused Deployment, or one
 * without an earlier revision, is refused with kubectl's message.
 */
export async function rollbackDeployment(
  client: KubeClient,
  namespace: string,
  name: string,
): Promise<RollbackResult> {
  const deployment = await client.get<DeploymentLike>(resources.deployments, name, namespace);
  if (deployment.spec?.paused)
    throw new RollbackError(
      `you cannot rollback a paused deployment; resume it first with 'kubectl rollout resume deployment/${name}' and try again`,
    );
  const owned = (
    await client.list<ReplicaSetLike>(resources.replicaSets, {
      namespace,
      ...(deployment.spec?.selector?.matchLabels
        ? { labelSelector: deployment.spec.selector.matchLabels }
        : {}),
    })
  ).items.filter((rs) =>
    rs.metadata.ownerReferences?.some(
      (o) => o.controller && o.kind === 'Deployment' && o.uid === deployment.metadata.uid,
    ),
  );
  const byRevision = owned
    .map((rs) => ({ rs, revision: Number(rs.metadata.annotations?.[REVISION]) }))
    .filter((r) => Number.isInteger(r.revision) && r.revision > 0)
    .sort((a, b) => b.revision - a.revision);
  const previous = byRevision[1];
  if (!previous) throw new RollbackError(`no rollout history found for deployment "${name}"`);
  const template = structuredClone(previous.rs.spec?.template ?? {});
  const labels = { ...(template.metadata?.labels ?? {}) };
  delete labels[HASH_LABEL];
  template.metadata = { ...(template.metadata ?? {}), labels };
  if (sameTemplate(template, deployment.spec?.template))
    return { revision: previous.revision, skipped: true };
  const annotations: Record<string, string> = {};
  for (const [k, v] of Object.entries(deployment.metadata.annotations ?? {}))
    if (SKIPPED_ANNOTATIONS.has(k)) annotations[k] = v;
  for (const [k, v] of Object.entries(previous.rs.metadata.annotations ?? {}))
    if (!SKIPPED_ANNOTATIONS.has(k)) annotations[k] = v;
  await client.patch(
    resources.deployments,
    name,
    [
      // Guards against a change made since the read (kubectl does not; a page may be stale).
      { op: 'test', path: '/metadata/resourceVersion', value: deployment.metadata.resourceVersion },
      { op: 'replace', path: '/spec/template', value: template },
      // add, not replace: it also sets annotations on a Deployment that has none yet.
      { op: 'add', path: '/metadata/annotations', value: annotations },
    ],
    { namespace, patchType: 'json' },
  );
  return { revision: previous.revision, skipped: false };
}

/** Templates equal once the hash label is ignored (kubectl's EqualIgnoreHash), by canonical JSON. */
function sameTemplate(a: Template, b: Template | undefined): boolean {
  const strip = (t: Template | undefined) => {
    const copy = structuredClone(t ?? {});
    if (copy.metadata?.labels) delete copy.metadata.labels[HASH_LABEL];
    return canonicalJson(copy);
  };
  return strip(a) === strip(b);
}
