import { ApiError } from '../client/api-error.js';
import type { KubeClient } from '../client/client.js';
import { resources } from '../client/types.js';
import type { KubeObject } from '../kube/index.js';

/** Whether the user may do one action, and if not, why (for the disabled control's label). */
export interface ActionAccess {
  readonly allowed: boolean;
  readonly reason: string;
}

/** The actions the page offers, each as the API request RBAC checks. */
export const ACTIONS = {
  scale: { group: 'apps', resource: 'deployments', subresource: 'scale', verb: 'patch' },
} as const;

export type ActionName = keyof typeof ACTIONS;

interface AccessReviewStatus {
  readonly allowed?: boolean;
  readonly denied?: boolean;
  readonly reason?: string;
  readonly evaluationError?: string;
}

/** Asks the API server (SelfSubjectAccessReview) whether the user may do `action` in `namespace`. */
export async function reviewAccess(
  client: KubeClient,
  action: ActionName,
  namespace: string,
): Promise<ActionAccess> {
  const attrs = ACTIONS[action];
  const review = await client.create<KubeObject & { status?: AccessReviewStatus }>(
    resources.selfSubjectAccessReviews,
    {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SelfSubjectAccessReview',
      metadata: {} as KubeObject['metadata'],
      spec: { resourceAttributes: { namespace, ...attrs } },
    } as KubeObject,
  );
  const s = review.status ?? {};
  if (s.allowed) return { allowed: true, reason: s.reason ?? '' };
  const what = `${attrs.verb} ${attrs.resource}/${attrs.subresource} in namespace ${namespace}`;
  const why = s.reason || s.evaluationError;
  return { allowed: false, reason: `RBAC does not allow you to ${what}${why ? `: ${why}` : ''}` };
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

/** The HTTP status and message to give the page for an error from the API server. */
export function apiFailure(err: unknown): { code: number; message: string; reason: string } {
  if (err instanceof ApiError) {
    return {
      code: err.status >= 400 && err.status < 600 ? err.status : 502,
      message: err.body?.message ?? err.message,
      reason: err.reason,
    };
  }
  return { code: 502, message: err instanceof Error ? err.message : String(err), reason: 'BadGateway' };
}
