import type { UserInfo } from '../auth/authenticate.js';
import { nodeNameOf } from '../auth/authorize.js';
import { invalid } from '../registry/validation.js';
import type { Authorizer } from './authorizer.js';
import type { PolicyIndex } from './policy-index.js';
import type { PolicyRule, RequestAttributes } from './types.js';
import { PolicyError } from './types.js';

type Obj = Record<string, unknown>;

function rec(v: unknown): Obj | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : undefined;
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

function invalidReview(kind: string, causes: ReturnType<typeof invalid>[]): PolicyError {
  const detail = causes.map((c) => `${c.field}: ${c.message}`).join(', ');
  return new PolicyError(422, 'Invalid', `${kind}.authorization.k8s.io "" is invalid: ${detail}`, {
    group: 'authorization.k8s.io',
    kind,
    causes,
  });
}

/** The attributes a SubjectAccessReview-like spec asks about, or a 422 naming what is wrong. */
function attributesOf(kind: string, spec: Obj, namespace?: string): RequestAttributes {
  const res = rec(spec.resourceAttributes);
  const nonRes = rec(spec.nonResourceAttributes);
  if (res && nonRes)
    throw invalidReview(kind, [
      invalid(
        'spec.nonResourceAttributes',
        nonRes,
        'cannot be specified in combination with resourceAttributes',
      ),
    ]);
  if (nonRes) return { resourceRequest: false, verb: str(nonRes.verb), path: str(nonRes.path) };
  if (!res)
    throw invalidReview(kind, [
      invalid(
        'spec.resourceAttributes',
        null,
        'exactly one of nonResourceAttributes or resourceAttributes must be specified',
      ),
    ]);
  const ns = str(res.namespace);
  if (namespace !== undefined && ns !== namespace)
    throw invalidReview(kind, [
      invalid('spec.resourceAttributes.namespace', ns, 'must match metadata.namespace'),
    ]);
  return {
    resourceRequest: true,
    verb: str(res.verb),
    group: str(res.group),
    resource: str(res.resource),
    subresource: str(res.subresource) || undefined,
    namespace: ns || undefined,
    name: str(res.name) || undefined,
  };
}

function extraOf(v: unknown): Record<string, string[]> | undefined {
  const o = rec(v);
  if (!o) return undefined;
  const out: Record<string, string[]> = {};
  for (const [k, vals] of Object.entries(o))
    out[k] = Array.isArray(vals) ? vals.filter((x): x is string => typeof x === 'string') : [];
  return out;
}

function reply(body: Obj, kind: string, apiVersion: string, spec: unknown, status: Obj): Obj {
  const meta = rec(body.metadata) ?? {};
  return { kind, apiVersion, metadata: { ...meta, creationTimestamp: null }, spec, status };
}

/** What {@link answerReview} needs. */
export interface ReviewContext {
  readonly authz: Authorizer;
  readonly index: PolicyIndex;
}

function rulesReview(index: PolicyIndex, user: UserInfo, namespace: string): Obj {
  const rules: PolicyRule[] = index.rulesFor(user, namespace || undefined);
  const superuser = user.groups.includes('system:masters');
  if (superuser) {
    rules.unshift(
      { verbs: ['*'], apiGroups: ['*'], resources: ['*'] },
      { verbs: ['*'], nonResourceURLs: ['*'] },
    );
  }
  const resourceRules = rules
    .filter((r) => !r.nonResourceURLs?.length)
    .map((r) => ({
      verbs: r.verbs,
      ...(r.apiGroups ? { apiGroups: r.apiGroups } : {}),
      ...(r.resources ? { resources: r.resources } : {}),
      ...(r.resourceNames?.length ? { resourceNames: r.resourceNames } : {}),
    }));
  const nonResourceRules = rules
    .filter((r) => r.nonResourceURLs?.length)
    .map((r) => ({ verbs: r.verbs, nonResourceURLs: r.nonResourceURLs }));
  // The node authorizer's grants depend on the cluster's pods and cannot be listed as rules.
  const incomplete = nodeNameOf(user) !== undefined;
  return {
    resourceRules,
    nonResourceRules,
    incomplete,
    ...(incomplete ? { evaluationError: 'node authorizer does not support user rule resolution' } : {}),
  };
}

/**
 * Answers a SelfSubjectAccessReview, SubjectAccessReview, LocalSubjectAccessReview,
 * SelfSubjectRulesReview or SelfSubjectReview for `user` (the caller, already allowed to create
 * it). Reviews are computed, never stored; the reply is 201 as upstream.
 */
export async function answerReview(
  ctx: ReviewContext,
  user: UserInfo,
  plural: string,
  namespace: string | undefined,
  body: Obj,
): Promise<Obj> {
  const spec = rec(body.spec) ?? {};
  const authzV1 = 'authorization.k8s.io/v1';
  switch (plural) {
    case 'selfsubjectaccessreviews': {
      const attrs = attributesOf('SelfSubjectAccessReview', spec);
      const allowed = await ctx.authz.authorize(user, attrs);
      return reply(body, 'SelfSubjectAccessReview', authzV1, spec, { allowed });
    }
    case 'subjectaccessreviews':
    case 'localsubjectaccessreviews': {
      const kind = plural === 'subjectaccessreviews' ? 'SubjectAccessReview' : 'LocalSubjectAccessReview';
      const name = str(spec.user);
      const groups = Array.isArray(spec.groups)
        ? spec.groups.filter((g): g is string => typeof g === 'string')
        : [];
      if (!name && groups.length === 0)
        throw invalidReview(kind, [
          invalid('spec.user', name, 'at least one of user or group must be specified'),
        ]);
      const attrs = attributesOf(
        kind,
        spec,
        kind === 'LocalSubjectAccessReview' ? (namespace ?? '') : undefined,
      );
      const subject: UserInfo = { name, groups, uid: str(spec.uid) || undefined, extra: extraOf(spec.extra) };
      const allowed = await ctx.authz.authorize(subject, attrs);
      return reply(body, kind, authzV1, spec, { allowed });
    }
    case 'selfsubjectrulesreviews':
      return reply(
        body,
        'SelfSubjectRulesReview',
        authzV1,
        spec,
        rulesReview(ctx.index, user, str(spec.namespace)),
      );
    case 'selfsubjectreviews':
      return reply(body, 'SelfSubjectReview', 'authentication.k8s.io/v1', undefined, {
        userInfo: {
          username: user.name,
          groups: user.groups,
          ...(user.uid ? { uid: user.uid } : {}),
          ...(user.extra ? { extra: user.extra } : {}),
        },
      });
    default:
      throw new PolicyError(404, 'NotFound', `the server could not find the requested resource (${plural})`);
  }
}
