import type { IncomingMessage } from 'node:http';
import type { EventSink } from '../../events.js';
import type { UntypedObject } from '../../kube/index.js';
import {
  type AuthenticatorOptions,
  authenticateRequest,
  type BearerAuthenticator,
  type UserInfo,
} from '../auth/authenticate.js';
import {
  ADMIN_GROUPS,
  forbiddenMessage,
  forbiddenPathMessage,
  type NodeGraph,
  nodeNameOf,
} from '../auth/authorize.js';
import { authenticateBootstrapToken } from '../auth/bootstrap-token.js';
import { nodeRestrictionViolation } from '../auth/node-restriction.js';
import { answerTokenReview, TokenReviewError } from '../auth/token-review.js';
import { aggregateClusterRoles } from '../rbac/aggregation.js';
import { type Authorizer, buildAuthorizer } from '../rbac/authorizer.js';
import { checkEscalation } from '../rbac/escalation.js';
import { impersonate } from '../rbac/impersonation.js';
import { type PolicyCache, startPolicyCache } from '../rbac/policy-cache.js';
import type { PolicyWriter } from '../rbac/policy-writer.js';
import { reconcileDefaultPolicy } from '../rbac/reconcile.js';
import { answerReview } from '../rbac/reviews.js';
import { PolicyError } from '../rbac/types.js';
import { stampRequester } from '../registry/certificates.js';
import { findResource } from '../registry/index.js';
import type { ApiContext } from './context.js';
import type { HandlerInput } from './handlers.js';
import type { ResourceRequest } from './request-info.js';
import { ApiError } from './status.js';
import { createObject, deleteObject, updateObject } from './write.js';

const PUBLIC_PATHS = new Set(['/healthz', '/readyz', '/livez', '/version']);
const RBAC_GROUP = 'rbac.authorization.k8s.io';
const REVIEW_GROUPS = new Set(['authorization.k8s.io', 'authentication.k8s.io']);
const ANONYMOUS: UserInfo = { name: 'system:anonymous', groups: ['system:unauthenticated'] };

/** Turns rbac/'s refusals into Status errors. */
export function asApiError(err: unknown): unknown {
  return err instanceof PolicyError ? new ApiError(err.code, err.reason, err.message, err.details) : err;
}

function unauthorized(): ApiError {
  return new ApiError(
    401,
    'Unauthorized',
    'Unauthorized: present a client certificate signed by the cluster CA or a bearer token',
  );
}

/** Authentication, impersonation, `Node,RBAC` authorization and admission of one API server. */
export interface Access {
  /** The caller (after impersonation headers); throws 401 or 403. */
  userOf(req: IncomingMessage, path: string): Promise<UserInfo>;
  /** Throws 403 unless `user` may GET (or whatever method) the non-resource `path`. */
  checkPath(user: UserInfo, method: string, path: string): Promise<void>;
  /** Throws 403 unless `user` may make the resource request. */
  checkResource(user: UserInfo, info: ResourceRequest, body: Buffer): Promise<void>;
  /** Admission for creates and updates: NodeRestriction and RBAC escalation prevention. */
  admission(user: UserInfo, info: ResourceRequest): HandlerInput['admit'];
  /** Whether the request is a review (computed, never stored). */
  isReview(info: ResourceRequest): boolean;
  answerReview(user: UserInfo, info: ResourceRequest, body: Buffer): Promise<unknown>;
  /** After a write of an RBAC object: wait until the authorizer sees it (read-your-writes). */
  afterWrite(info: ResourceRequest): Promise<void>;
  stop(): Promise<void>;
}

function writerOver(ctx: ApiContext): PolicyWriter {
  const def = (plural: string) => findResource(RBAC_GROUP, 'v1', plural)!;
  return {
    get: (plural, name) => ctx.resources.get(def(plural), undefined, name),
    list: async (plural) => (await ctx.resources.list(def(plural), undefined)).items,
    create: async (plural, obj) => {
      await createObject(ctx, def(plural), undefined, obj).catch((err: unknown) => {
        if (!(err instanceof ApiError && err.reason === 'AlreadyExists')) throw err;
      });
    },
    update: async (plural, name, change) => {
      const current = await ctx.resources.get(def(plural), undefined, name);
      if (!current || change(structuredClone(current)) === undefined) return;
      await updateObject(ctx, def(plural), undefined, name, undefined, (cur) => change(cur) ?? cur).catch(
        (err: unknown) => {
          if (!(err instanceof ApiError && err.code === 404)) throw err;
        },
      );
    },
    delete: async (plural, name) => {
      await deleteObject(ctx, def(plural), undefined, name, {}).catch((err: unknown) => {
        if (!(err instanceof ApiError && err.code === 404)) throw err;
      });
    },
  };
}

const secretsDef = findResource('', 'v1', 'secrets')!;
/** Bootstrap tokens (`<id>.<secret>` in kube-system Secrets) as one more bearer authenticator. */
const bootstrapTokens =
  (ctx: ApiContext): BearerAuthenticator =>
  async (token) => {
    const user = await authenticateBootstrapToken(
      `Bearer ${token}`,
      (ns, name) => ctx.resources.get(secretsDef, ns, name),
      ctx.now(),
    );
    return user === null ? { rejected: 'invalid bootstrap token' } : user;
  };

/**
 * Starts the RBAC policy cache over the store, reconciles the default roles and bindings and
 * aggregates ClusterRoles (again whenever one changes), and returns the request checks.
 */
export async function startAccess(
  ctx: ApiContext,
  authn: AuthenticatorOptions,
  graph: NodeGraph,
  events: EventSink,
): Promise<Access> {
  const chain: AuthenticatorOptions = {
    ...authn,
    bearerAuthenticators: [bootstrapTokens(ctx), ...(authn.bearerAuthenticators ?? [])],
  };
  const writer = writerOver(ctx);
  let aggregating: Promise<void> | undefined;
  let again = false;
  const aggregate = () => {
    if (aggregating) {
      again = true;
      return;
    }
    aggregating = aggregateClusterRoles(writer)
      .then(() => undefined)
      .catch((err: unknown) =>
        events.emit({
          code: 'rbac.aggregation.failed',
          level: 'warn',
          message: `ClusterRole aggregation failed: ${(err as Error).message}; retrying on the next change`,
          data: {},
        }),
      )
      .finally(() => {
        aggregating = undefined;
        if (again) {
          again = false;
          aggregate();
        }
      });
  };
  const cache: PolicyCache = await startPolicyCache(ctx.resources.store, events, aggregate);
  await reconcileDefaultPolicy(writer);
  await aggregateClusterRoles(writer);
  await cache.waitFor(await ctx.resources.revision());
  const authz: Authorizer = buildAuthorizer(cache.index, graph);

  return {
    async userOf(req, path) {
      const caller = await authenticateRequest(req, chain);
      if (!caller) {
        if (PUBLIC_PATHS.has(path)) return ANONYMOUS;
        throw unauthorized();
      }
      return impersonate(caller, req.headers, authz).catch((err: unknown) => {
        throw asApiError(err);
      });
    },
    async checkPath(user, method, path) {
      const verb = method.toLowerCase();
      if (!(await authz.authorize(user, { resourceRequest: false, verb, path })))
        throw new ApiError(403, 'Forbidden', forbiddenPathMessage(user, verb, path));
    },
    async checkResource(user, info, body) {
      // A create is authorized without a name, as kube-apiserver does (RBAC resourceNames never
      // match one); the body's name goes to the node authorizer only (NodeRestriction's check).
      const creating = info.verb === 'create' && !info.subresource;
      let createName: string | undefined;
      if (creating && body.length) {
        try {
          const parsed = JSON.parse(body.toString('utf8')) as { metadata?: { name?: unknown } };
          if (typeof parsed?.metadata?.name === 'string') createName = parsed.metadata.name;
        } catch {
          // malformed bodies are rejected by the handler with a 400 after authorization
        }
      }
      const attrs = {
        resourceRequest: true as const,
        verb: info.verb,
        group: info.def.group,
        resource: info.def.plural,
        subresource: info.subresource,
        namespace: info.namespace,
        name: creating ? undefined : info.name,
        ...(createName ? { createName } : {}),
      };
      if (!(await authz.authorize(user, attrs))) {
        throw new ApiError(403, 'Forbidden', forbiddenMessage(user, attrs), {
          ...(attrs.name ? { name: attrs.name } : {}),
          group: info.def.group,
          kind: info.def.plural,
        });
      }
    },
    admission(user, info) {
      if (info.def.kind === 'CertificateSigningRequest' && info.verb === 'create')
        return (_current, next) => stampRequester(next as UntypedObject, user);
      if (info.def.group === RBAC_GROUP) {
        return (_current, next) => {
          try {
            checkEscalation(authz, cache.index, user, info.def.plural, info.namespace, next as UntypedObject);
          } catch (err) {
            throw asApiError(err);
          }
        };
      }
      const node = nodeNameOf(user);
      if (node === undefined || info.def.plural !== 'nodes' || info.def.group !== '') return undefined;
      if (user.groups.some((g) => ADMIN_GROUPS.includes(g))) return undefined;
      return (current, next) => {
        const why = nodeRestrictionViolation(node, current, next);
        if (why) {
          const name = String(next.metadata?.name ?? info.name);
          throw new ApiError(403, 'Forbidden', `nodes "${name}" is forbidden: ${why}`, {
            name,
            kind: 'nodes',
          });
        }
      };
    },
    isReview: (info) => REVIEW_GROUPS.has(info.def.group),
    async answerReview(user, info, body) {
      if (info.verb !== 'create')
        throw new ApiError(405, 'MethodNotAllowed', `${info.def.plural} only accept create (POST)`);
      let parsed: unknown;
      try {
        parsed = JSON.parse(body.toString('utf8'));
      } catch {
        throw new ApiError(400, 'BadRequest', `the body of a ${info.def.kind} is not valid JSON`);
      }
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
        throw new ApiError(400, 'BadRequest', `the body of a ${info.def.kind} must be a JSON object`);
      if (info.def.plural === 'tokenreviews')
        return answerTokenReview(parsed as Record<string, unknown>, chain).catch((err: unknown) => {
          throw err instanceof TokenReviewError ? new ApiError(err.code, err.reason, err.message) : err;
        });
      return answerReview(
        { authz, index: cache.index },
        user,
        info.def.plural,
        info.namespace,
        parsed as Record<string, unknown>,
      ).catch((err: unknown) => {
        throw asApiError(err);
      });
    },
    async afterWrite(info) {
      if (
        info.def.group !== RBAC_GROUP ||
        info.verb === 'get' ||
        info.verb === 'list' ||
        info.verb === 'watch'
      )
        return;
      await cache.waitFor(await ctx.resources.revision());
    },
    stop: () => cache.stop(),
  };
}
