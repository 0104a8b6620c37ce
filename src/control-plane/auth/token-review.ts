import { type AuthenticatorOptions, authenticateToken, isRejection } from './authenticate.js';

type Obj = Record<string, unknown>;

/** A TokenReview that cannot be answered: the Status code, reason and message (as upstream's). */
export class TokenReviewError extends Error {
  constructor(
    readonly code: number,
    readonly reason: 'BadRequest' | 'InternalError',
    message: string,
  ) {
    super(message);
  }
}

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

/**
 * Answers an `authentication.k8s.io/v1` TokenReview as kube-apiserver's tokenreview storage does:
 * the token goes through the bearer-token authenticators (token file, bootstrap tokens,
 * service-account tokens; never client certificates), checked against `spec.audiences` or else
 * the server's API audiences. The reply carries `status.authenticated`, the user (username, uid,
 * groups, extra), the audiences the token is good for, or `status.error`. Computed, never stored.
 */
export async function answerTokenReview(body: Obj, options: AuthenticatorOptions): Promise<Obj> {
  const spec = (typeof body.spec === 'object' && body.spec !== null ? body.spec : {}) as Obj;
  const token = typeof spec.token === 'string' ? spec.token : '';
  if (!token)
    throw new TokenReviewError(400, 'BadRequest', 'token is required for TokenReview in authentication');
  const implicit = options.apiAudiences ?? [];
  const requested = strings(spec.audiences);
  const audiences = requested.length ? requested : implicit;
  // Tokens without audiences of their own (token file, bootstrap) are good for the server's API
  // audiences only (upstream's WrapAudienceAgnosticToken).
  const agnosticOk = !requested.length || !implicit.length || requested.some((a) => implicit.includes(a));
  const found = await authenticateToken(token, options, audiences);
  const meta = typeof body.metadata === 'object' && body.metadata !== null ? (body.metadata as Obj) : {};
  const reply = (status: Obj): Obj => ({
    kind: 'TokenReview',
    apiVersion: 'authentication.k8s.io/v1',
    metadata: { ...meta, creationTimestamp: null },
    spec,
    status,
  });
  if (found === undefined || isRejection(found))
    return reply({
      user: {},
      error: found ? `[invalid bearer token, ${found.rejected}]` : 'invalid bearer token',
    });
  const granted = found.audiences ?? implicit;
  if (!agnosticOk && found.audiences === undefined) return reply({ user: {}, error: 'invalid bearer token' });
  if (requested.length && !granted.some((a) => requested.includes(a)))
    throw new TokenReviewError(500, 'InternalError', 'Internal error occurred: error validating audience');
  return reply({
    authenticated: true,
    user: {
      username: found.name,
      ...(found.uid ? { uid: found.uid } : {}),
      groups: found.groups,
      ...(found.extra && Object.keys(found.extra).length ? { extra: found.extra } : {}),
    },
    ...(granted.length ? { audiences: granted } : {}),
  });
}
