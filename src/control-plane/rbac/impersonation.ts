import type { IncomingHttpHeaders } from 'node:http';
import { AUTHENTICATED_GROUP, type UserInfo } from '../auth/authenticate.js';
import { forbiddenMessage } from '../auth/authorize.js';
import type { Authorizer } from './authorizer.js';
import { PolicyError, serviceAccountOf } from './types.js';

const EXTRA_PREFIX = 'impersonate-extra-';

function list(v: string | string[] | undefined): string[] {
  if (v === undefined) return [];
  return (Array.isArray(v) ? v : [v]).map((s) => s.trim()).filter(Boolean);
}

/**
 * Applies `Impersonate-User`, `-Group`, `-Uid` and `-Extra-<key>` headers (upstream's
 * WithImpersonation filter): each needs the `impersonate` verb on users, groups, serviceaccounts,
 * uids or userextras/<key>; the request then runs as the impersonated user, in
 * `system:authenticated` (and the service-account groups for a service account). Returns the
 * caller unchanged without these headers.
 */
export async function impersonate(
  caller: UserInfo,
  headers: IncomingHttpHeaders,
  authz: Authorizer,
): Promise<UserInfo> {
  const name = list(headers['impersonate-user'])[0];
  const groups = list(headers['impersonate-group']).flatMap((g) =>
    g
      .split(',')
      .map((x) => x.trim())
      .filter(Boolean),
  );
  const uid = list(headers['impersonate-uid'])[0];
  const extra: Record<string, string[]> = {};
  for (const [header, value] of Object.entries(headers)) {
    if (!header.startsWith(EXTRA_PREFIX)) continue;
    const key = decodeURIComponent(header.slice(EXTRA_PREFIX.length));
    extra[key] = list(value);
  }
  const hasExtra = Object.keys(extra).length > 0;
  if (name === undefined) {
    if (groups.length || uid || hasExtra)
      throw new PolicyError(
        400,
        'BadRequest',
        'impersonating groups, a uid or extra fields needs Impersonate-User: name the user to impersonate',
      );
    return caller;
  }
  const check = async (resource: string, objName: string, group = '', namespace?: string) => {
    const slash = resource.indexOf('/');
    const attrs = {
      resourceRequest: true as const,
      verb: 'impersonate',
      group,
      resource: slash < 0 ? resource : resource.slice(0, slash),
      subresource: slash < 0 ? undefined : resource.slice(slash + 1),
      namespace,
      name: objName,
    };
    if (!(await authz.authorize(caller, attrs)))
      throw new PolicyError(403, 'Forbidden', forbiddenMessage(caller, { ...attrs, verb: 'impersonate' }), {
        name: objName,
        group,
        kind: attrs.resource,
      });
  };
  const sa = serviceAccountOf(name);
  if (sa) await check('serviceaccounts', sa.name, '', sa.namespace);
  else await check('users', name);
  for (const g of groups) await check('groups', g);
  if (uid) await check('uids', uid, 'authentication.k8s.io');
  for (const [key, values] of Object.entries(extra))
    for (const v of values) await check(`userextras/${key}`, v, 'authentication.k8s.io');
  const all = [...groups];
  if (sa) all.push('system:serviceaccounts', `system:serviceaccounts:${sa.namespace}`);
  if (name !== 'system:anonymous' && !all.includes(AUTHENTICATED_GROUP)) all.push(AUTHENTICATED_GROUP);
  return { name, groups: all, ...(uid ? { uid } : {}), ...(hasExtra ? { extra } : {}) };
}
