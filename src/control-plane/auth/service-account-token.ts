import type { EventSink } from '../../events.js';
import { serviceAccountUser } from '../serviceaccounts/claims.js';
import type { ObjectLookup } from '../serviceaccounts/lookup.js';
import { type TokenVerifierOptions, verifyServiceAccountToken } from '../serviceaccounts/token-verify.js';
import type { BearerAuthenticator } from './authenticate.js';

/** The groups every service account is in (as upstream's serviceaccount.MakeGroupNames). */
export function serviceAccountGroups(namespace: string): string[] {
  return ['system:serviceaccounts', `system:serviceaccounts:${namespace}`];
}

/**
 * The service-account token authenticator: a JWT from this cluster's issuer becomes
 * `system:serviceaccount:<ns>:<name>` in `system:serviceaccounts` and `system:serviceaccounts:<ns>`;
 * an invalid one is rejected (401) and the reason goes to the events, never the token.
 */
export function serviceAccountTokenAuthenticator(
  options: TokenVerifierOptions,
  lookup: ObjectLookup,
  now: () => Date,
  events: EventSink,
): BearerAuthenticator {
  return async (token, audiences) => {
    const checked = audiences?.length ? { ...options, apiAudiences: audiences } : options;
    const result = await verifyServiceAccountToken(token, checked, lookup, now());
    if (result.kind === 'not-ours') return undefined;
    if (result.kind === 'rejected') {
      events.emit({
        code: 'auth.serviceaccount.rejected',
        level: 'info',
        message: `rejected a service-account token: ${result.reason}`,
        data: { reason: result.reason },
      });
      return { rejected: result.reason };
    }
    const { namespace, name, uid, extra, audiences: tokenAudiences } = result.identity;
    return {
      name: serviceAccountUser(namespace, name),
      uid,
      groups: serviceAccountGroups(namespace),
      extra,
      audiences: tokenAudiences.filter((a) => checked.apiAudiences.includes(a)),
    };
  };
}
