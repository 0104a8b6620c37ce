import { kubernetesClaimOf, type Ref } from './claims.js';
import { peekJwtClaims, verifyJwt } from './jwt.js';
import type { ServiceAccountKeys } from './keys.js';
import { type LookupResource, type ObjectLookup, uidOf } from './lookup.js';

/** Clock skew tolerated on exp, nbf and iat (go-jose's default leeway, which kube-apiserver uses). */
const LEEWAY_SECONDS = 60;

/** What verifying a token needs. */
export interface TokenVerifierOptions {
  readonly keys: ServiceAccountKeys;
  /** Tokens whose `iss` is not one of these are not service-account tokens of this cluster. */
  readonly issuers: readonly string[];
  /** The token's `aud` must share one of these (--api-audiences). */
  readonly apiAudiences: readonly string[];
}

/** Who a verified token is. */
export interface ServiceAccountIdentity {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  /** kube-apiserver's user extra: pod name/uid, node name/uid, credential id. */
  readonly extra: Readonly<Record<string, readonly string[]>>;
  /** The token's `aud` claim. */
  readonly audiences: readonly string[];
}

/** The outcome: not ours (another authenticator may know it), rejected with a reason, or accepted. */
export type VerifyResult =
  | { readonly kind: 'not-ours' }
  | { readonly kind: 'rejected'; readonly reason: string }
  | { readonly kind: 'ok'; readonly identity: ServiceAccountIdentity };

const rejected = (reason: string): VerifyResult => ({ kind: 'rejected', reason });

async function checkBound(
  lookup: ObjectLookup,
  resource: LookupResource,
  namespace: string | undefined,
  ref: Ref,
  deletedBefore: number,
): Promise<string | undefined> {
  const what = namespace ? `${resource} ${namespace}/${ref.name}` : `${resource} ${ref.name}`;
  const obj = await lookup.get(resource, namespace, ref.name);
  if (!obj) return `${what} has been deleted`;
  if (uidOf(obj) !== ref.uid) return `${what} UID (${uidOf(obj)}) does not match claim (${ref.uid})`;
  const deleting = obj.metadata?.deletionTimestamp;
  if (typeof deleting === 'string' && Date.parse(deleting) < deletedBefore) return `${what} is being deleted`;
  return undefined;
}

/**
 * Verifies a bearer token as kube-apiserver's service-account authenticator does: signature by a
 * cluster key, issuer, audience, time window; then that the ServiceAccount and any bound pod,
 * secret or node still exist with the uids in the token (so a pod-bound token dies with its pod).
 */
export async function verifyServiceAccountToken(
  token: string,
  options: TokenVerifierOptions,
  lookup: ObjectLookup,
  now: Date,
): Promise<VerifyResult> {
  const peeked = peekJwtClaims(token);
  if (!peeked || typeof peeked.iss !== 'string' || !options.issuers.includes(peeked.iss))
    return { kind: 'not-ours' };
  const claims = verifyJwt(token, options.keys);
  if (!claims) return rejected('invalid signature or unknown key');
  const t = now.getTime() / 1000;
  const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
  const exp = num(claims.exp);
  if (exp === undefined) return rejected('token has no exp claim');
  if (t > exp + LEEWAY_SECONDS) return rejected('service account token has expired');
  const nbf = num(claims.nbf);
  if (nbf !== undefined && t < nbf - LEEWAY_SECONDS)
    return rejected('service account token is not valid yet');
  const iat = num(claims.iat);
  if (iat !== undefined && t < iat - LEEWAY_SECONDS)
    return rejected('service account token was issued in the future');
  const aud = typeof claims.aud === 'string' ? [claims.aud] : Array.isArray(claims.aud) ? claims.aud : [];
  if (!aud.some((a) => options.apiAudiences.includes(a as string)))
    return rejected(
      `token audiences ${JSON.stringify(aud)} are invalid for the target audiences ${JSON.stringify(options.apiAudiences)}`,
    );
  const k8s = kubernetesClaimOf(claims);
  if (!k8s) return rejected('token lacks a valid kubernetes.io claim');
  if (claims.sub !== `system:serviceaccount:${k8s.namespace}:${k8s.serviceaccount.name}`)
    return rejected('sub does not match the kubernetes.io claim');
  // A pod or secret deleted more than a minute after the token was issued still invalidates it.
  const deletedBefore = ((nbf ?? iat ?? t) + LEEWAY_SECONDS) * 1000;
  const problem =
    (await checkBound(
      lookup,
      'serviceaccounts',
      k8s.namespace,
      k8s.serviceaccount,
      Number.POSITIVE_INFINITY,
    )) ??
    (k8s.pod ? await checkBound(lookup, 'pods', k8s.namespace, k8s.pod, deletedBefore) : undefined) ??
    (k8s.secret
      ? await checkBound(lookup, 'secrets', k8s.namespace, k8s.secret, deletedBefore)
      : undefined) ??
    // A node is checked only when the token is bound to it directly (a pod-bound token names its node as information).
    (k8s.node && !k8s.pod
      ? await checkBound(lookup, 'nodes', undefined, k8s.node, deletedBefore)
      : undefined);
  if (problem) return rejected(problem);
  const extra: Record<string, string[]> = {};
  if (typeof claims.jti === 'string')
    extra['authentication.kubernetes.io/credential-id'] = [`JTI=${claims.jti}`];
  if (k8s.pod) {
    extra['authentication.kubernetes.io/pod-name'] = [k8s.pod.name];
    extra['authentication.kubernetes.io/pod-uid'] = [k8s.pod.uid];
  }
  if (k8s.node) {
    extra['authentication.kubernetes.io/node-name'] = [k8s.node.name];
    extra['authentication.kubernetes.io/node-uid'] = [k8s.node.uid];
  }
  return {
    kind: 'ok',
    identity: {
      namespace: k8s.namespace,
      name: k8s.serviceaccount.name,
      uid: k8s.serviceaccount.uid,
      extra,
      audiences: aud.filter((a): a is string => typeof a === 'string'),
    },
  };
}
