import type { UntypedObject } from '../../kube/index.js';
import type { UserInfo } from '../auth/authenticate.js';
import { ADMIN_GROUPS, nodeNameOf } from '../auth/authorize.js';
import { serviceAccountTokenAuthenticator } from '../auth/service-account-token.js';
import { findResource } from '../registry/index.js';
import type { ServiceAccountKeys } from '../serviceaccounts/keys.js';
import { type LookupResource, type ObjectLookup, TokenRequestError } from '../serviceaccounts/lookup.js';
import {
  buildJwks,
  buildOpenIdConfiguration,
  JWKS_PATH,
  OIDC_CONFIGURATION_PATH,
} from '../serviceaccounts/oidc.js';
import {
  admitPodServiceAccount,
  podServiceAccountName,
  ROOT_CA_CONFIGMAP,
} from '../serviceaccounts/pod-admission.js';
import { issueTokenRequest } from '../serviceaccounts/token-request.js';
import { checkNamespace } from './admission.js';
import { carryDuplicates } from './body-duplicates.js';
import type { ApiContext } from './context.js';
import { parseJsonObject } from './http.js';
import type { ResourceRequest } from './request-info.js';
import { ApiError } from './status.js';
import { createObject, updateObject } from './write.js';

/** Service-account token settings of the API server (kube-apiserver's --service-account-* flags). */
export interface ServiceAccountTokenOptions {
  readonly keys: ServiceAccountKeys;
  /** @default 'https://kubernetes.default.svc.cluster.local' */
  readonly issuer: string;
  /** Audiences the API server accepts, and the default of a TokenRequest. @default [issuer] */
  readonly apiAudiences?: readonly string[];
  /** @default none (a TokenRequest gets what it asks for) */
  readonly maxExpirationSeconds?: number;
  /** The jwks_uri the discovery document names. @default issuer + /openid/v1/jwks */
  readonly jwksUri?: string;
  /**
   * The CA bundle published as ConfigMap `kube-root-ca.crt` (key `ca.crt`) in every namespace, which
   * the token volume mounts (kube-controller-manager's --root-ca-file). @default none published
   */
  readonly rootCa?: string;
}

/** The API server's service-account parts: authenticator, TokenRequest, discovery, pod admission. */
export interface ServiceAccounts {
  readonly authenticator: ReturnType<typeof serviceAccountTokenAuthenticator>;
  /** The audiences the server's own tokens are for (--api-audiences, else the issuer). */
  readonly apiAudiences: readonly string[];
  tokenRequest(user: UserInfo, info: ResourceRequest, body: Buffer): Promise<Record<string, unknown>>;
  /** The discovery document for `path`, or undefined when `path` is not one. */
  discovery(path: string): unknown;
  /** Pod creates: the body after ServiceAccount admission. */
  admitPod(info: ResourceRequest, body: Buffer): Promise<Buffer>;
  /** Creates or repairs `kube-root-ca.crt` in `namespace` (or in every namespace when undefined). */
  publishRootCa(namespace?: string): Promise<void>;
}

const DISCOVERY_PATHS = new Set([
  OIDC_CONFIGURATION_PATH,
  `${OIDC_CONFIGURATION_PATH}/`,
  JWKS_PATH,
  `${JWKS_PATH}/`,
]);

/** Whether `path` is one of the issuer discovery documents. */
export function isIssuerDiscoveryPath(path: string): boolean {
  return DISCOVERY_PATHS.has(path);
}

function lookupOver(ctx: ApiContext): ObjectLookup {
  return {
    get: (resource: LookupResource, namespace, name) =>
      ctx.resources.get(findResource('', 'v1', resource)!, namespace, name),
  };
}

function asApiError(err: unknown): unknown {
  if (!(err instanceof TokenRequestError)) return err;
  return new ApiError(
    err.code,
    err.reason,
    err.message,
    err.causes.length
      ? { group: 'authentication.k8s.io', kind: 'TokenRequest', causes: [...err.causes] }
      : undefined,
  );
}

/**
 * NodeRestriction for tokens (as upstream's admitServiceAccount): a node's TokenRequest must be
 * bound, by uid, to a pod scheduled on that node.
 */
async function checkNodeTokenRequest(
  lookup: ObjectLookup,
  node: string,
  info: ResourceRequest,
  body: Record<string, unknown>,
): Promise<void> {
  const forbid = (why: string) =>
    new ApiError(403, 'Forbidden', `serviceaccounts "${info.name}" is forbidden: ${why}`, {
      name: info.name,
      kind: 'serviceaccounts',
    });
  const spec = (body.spec ?? {}) as { boundObjectRef?: Record<string, unknown> };
  const ref = spec.boundObjectRef;
  if (ref?.apiVersion !== 'v1' || ref.kind !== 'Pod' || typeof ref.name !== 'string' || !ref.name)
    throw forbid('node requested token not bound to a pod');
  if (typeof ref.uid !== 'string' || !ref.uid)
    throw forbid('node requested token with a pod binding without a uid');
  const pod = await lookup.get('pods', info.namespace, ref.name);
  if (!pod)
    throw new ApiError(404, 'NotFound', `pods "${ref.name}" not found`, { name: ref.name, kind: 'pods' });
  if (pod.metadata?.uid !== ref.uid)
    throw forbid(
      `the UID in the bound object reference (${ref.uid}) does not match the UID in record. The object might have been deleted and then recreated`,
    );
  if ((pod.spec as { nodeName?: unknown } | undefined)?.nodeName !== node)
    throw forbid('node requested token bound to a pod scheduled on a different node');
}

/** Builds the service-account parts over the API server's store. */
export function buildServiceAccounts(ctx: ApiContext, options: ServiceAccountTokenOptions): ServiceAccounts {
  const lookup = lookupOver(ctx);
  const apiAudiences = options.apiAudiences?.length ? options.apiAudiences : [options.issuer];
  const issuer = {
    keys: options.keys,
    issuer: options.issuer,
    apiAudiences,
    maxExpirationSeconds: options.maxExpirationSeconds,
  };
  const openid = buildOpenIdConfiguration(options.issuer, options.keys, options.jwksUri);
  const jwks = buildJwks(options.keys);
  return {
    apiAudiences,
    authenticator: serviceAccountTokenAuthenticator(
      { keys: options.keys, issuers: [options.issuer], apiAudiences },
      lookup,
      ctx.now,
      ctx.events,
    ),
    async tokenRequest(user, info, raw) {
      if (info.verb !== 'create')
        throw new ApiError(405, 'MethodNotAllowed', 'serviceaccounts/token only accepts create (POST)');
      const body = parseJsonObject(raw);
      const node = nodeNameOf(user);
      if (node !== undefined && !user.groups.some((g) => ADMIN_GROUPS.includes(g)))
        await checkNodeTokenRequest(lookup, node, info, body);
      return issueTokenRequest(lookup, issuer, info.namespace!, info.name!, body, ctx.now()).catch(
        (err: unknown) => {
          throw asApiError(err);
        },
      );
    },
    discovery(path) {
      if (!isIssuerDiscoveryPath(path)) return undefined;
      return path.startsWith(JWKS_PATH) ? jwks : openid;
    },
    async admitPod(info, raw) {
      const pod = parseJsonObject(raw) as UntypedObject;
      const name = podServiceAccountName(pod);
      const podName = String(pod.metadata?.name ?? pod.metadata?.generateName ?? '');
      // NamespaceLifecycle comes first: a missing namespace is 404, not a missing account.
      await checkNamespace(ctx, info.def, info.namespace, podName);
      const sa = await lookup.get('serviceaccounts', info.namespace, name);
      if (!sa) {
        throw new ApiError(
          403,
          'Forbidden',
          `pods "${podName}" is forbidden: error looking up service account ${info.namespace}/${name}: serviceaccount "${name}" not found`,
          { name: podName, kind: 'pods' },
        );
      }
      return carryDuplicates(raw, Buffer.from(JSON.stringify(admitPodServiceAccount(pod, sa))));
    },
    publishRootCa: (namespace) =>
      options.rootCa ? publishRootCa(ctx, options.rootCa, namespace) : Promise.resolve(),
  };
}

/**
 * The root-CA publisher (kube-controller-manager's, run here when a namespace is created and at
 * start): ConfigMap `kube-root-ca.crt` with `ca.crt` in each live namespace, rewritten when it differs.
 */
async function publishRootCa(ctx: ApiContext, ca: string, only: string | undefined): Promise<void> {
  const nsDef = findResource('', 'v1', 'namespaces')!;
  const cmDef = findResource('', 'v1', 'configmaps')!;
  const names = only
    ? [only]
    : (await ctx.resources.list(nsDef, undefined)).items.map((n) => String(n.metadata?.name));
  for (const namespace of names) {
    const ns = await ctx.resources.get(nsDef, undefined, namespace);
    if (!ns || ns.metadata?.deletionTimestamp) continue;
    const current = await ctx.resources.get(cmDef, namespace, ROOT_CA_CONFIGMAP);
    const data = { 'ca.crt': ca };
    const write = current
      ? (current.data as Record<string, unknown> | undefined)?.['ca.crt'] === ca
        ? undefined
        : updateObject(ctx, cmDef, namespace, ROOT_CA_CONFIGMAP, undefined, (cur) => ({ ...cur, data }))
      : createObject(ctx, cmDef, namespace, {
          metadata: {
            name: ROOT_CA_CONFIGMAP,
            annotations: { 'kubernetes.io/description': ROOT_CA_DESCRIPTION },
          },
          data,
        });
    await write?.catch((err: unknown) => {
      // Another writer got there first, or the namespace went away meanwhile: nothing to repair.
      if (!(err instanceof ApiError && (err.code === 409 || err.code === 404 || err.code === 403))) throw err;
    });
  }
}

const ROOT_CA_DESCRIPTION =
  'Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters.';
