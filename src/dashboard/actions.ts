import { ApiError } from '../client/api-error.js';
import type { KubeClient } from '../client/client.js';
import { resources } from '../client/types.js';
import type { KubeObject } from '../kube/index.js';
import { RollbackError } from './rollback.js';

/** Whether the user may do one action, and if not, why (for the disabled control's label). */
export interface ActionAccess {
  readonly allowed: boolean;
  readonly reason: string;
}

/** The actions the page offers, each as the API request RBAC checks (cluster-scoped ones have no namespace). */
export const ACTIONS = {
  scale: { group: 'apps', resource: 'deployments', subresource: 'scale', verb: 'patch', namespaced: true },
  restart: { group: 'apps', resource: 'deployments', subresource: '', verb: 'patch', namespaced: true },
  rollback: { group: 'apps', resource: 'deployments', subresource: '', verb: 'patch', namespaced: true },
  deletePod: { group: '', resource: 'pods', subresource: '', verb: 'delete', namespaced: true },
  cordon: { group: '', resource: 'nodes', subresource: '', verb: 'patch', namespaced: false },
  exec: { group: '', resource: 'pods', subresource: 'exec', verb: 'create', namespaced: true },
} as const;

export type ActionName = keyof typeof ACTIONS;

interface AccessReviewStatus {
  readonly allowed?: boolean;
  readonly reason?: string;
  readonly evaluationError?: string;
}

/** Asks the API server (SelfSubjectAccessReview) whether the user may do `action` (in `namespace`). */
export async function reviewAccess(
  client: KubeClient,
  action: ActionName,
  namespace: string,
): Promise<ActionAccess> {
  const { namespaced, subresource, ...attrs } = ACTIONS[action];
  const review = await client.create<KubeObject & { status?: AccessReviewStatus }>(
    resources.selfSubjectAccessReviews,
    {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SelfSubjectAccessReview',
      metadata: {} as KubeObject['metadata'],
      spec: {
        resourceAttributes: {
          ...attrs,
          ...(subresource ? { subresource } : {}),
          ...(namespaced ? { namespace } : {}),
        },
      },
    } as KubeObject,
  );
  const s = review.status ?? {};
  if (s.allowed) return { allowed: true, reason: s.reason ?? '' };
  const what = `${attrs.verb} ${attrs.resource}${subresource ? `/${subresource}` : ''}${
    namespaced ? ` in namespace ${namespace}` : ''
  }`;
  const why = s.reason || s.evaluationError;
  return { allowed: false, reason: `RBAC does not allow you to ${what}${why ? `: ${why}` : ''}` };
}

/** Every action's access in `namespace` (cluster-scoped actions: cluster-wide), asked at once. */
export async function reviewAllAccess(
  client: KubeClient,
  namespace: string,
): Promise<Record<ActionName, ActionAccess>> {
  const names = Object.keys(ACTIONS) as ActionName[];
  const answers = await Promise.all(names.map((a) => reviewAccess(client, a, namespace)));
  return Object.fromEntries(names.map((a, i) => [a, answers[i]])) as Record<ActionName, ActionAccess>;
}

/** Scales a Deployment through its scale subresource, as `kubectl scale` does. */
export async function scaleDeployment(
  client: KubeClient,
  namespace: string,
  name: string,
  replicas: number,
): Promise<number> {
  const scale = await client.patch<KubeObject & { spec?: { replicas?: number } }>(
    resources.deployments,
    name,
    { spec: { replicas } },
    { namespace, subresource: 'scale' },
  );
  return scale.spec?.replicas ?? replicas;
}

/** Restarts a Deployment's pods as `kubectl rollout restart` does: a new restartedAt annotation on the template. */
export async function restartDeployment(
  client: KubeClient,
  namespace: string,
  name: string,
  now: Date,
): Promise<void> {
  await client.patch(
    resources.deployments,
    name,
    {
      spec: {
        template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': now.toISOString() } } },
      },
    },
    { namespace, patchType: 'strategic' },
  );
}

/** Deletes a pod with its default grace period. */
export async function deletePod(client: KubeClient, namespace: string, name: string): Promise<void> {
  await client.delete(resources.pods, name, { namespace });
}

/** The HTTP status and message to give the page for an error from the API server. */
export function apiFailure(err: unknown): { code: number; message: string; reason: string } {
  if (err instanceof RollbackError) return { code: 409, message: err.message, reason: 'Conflict' };
  if (err instanceof ApiError) {
    return {
      code: err.status >= 400 && err.status < 600 ? err.status : 502,
      message: err.body?.message ?? err.message,
      reason: err.reason,
    };
  }
  return { code: 502, message: err instanceof Error ? err.message : String(err), reason: 'BadGateway' };
}
