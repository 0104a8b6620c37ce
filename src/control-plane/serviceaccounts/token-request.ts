import { buildClaims, type Ref, type TokenSubject } from './claims.js';
import { signJwt } from './jwt.js';
import type { ServiceAccountKeys } from './keys.js';
import { type LookedUp, type ObjectLookup, TokenRequestError, uidOf } from './lookup.js';

/** kube-apiserver's default token lifetime when a TokenRequest names none (one hour). */
export const DEFAULT_EXPIRATION_SECONDS = 3600;
const MIN_EXPIRATION_SECONDS = 600;
const MAX_EXPIRATION_SECONDS = 2 ** 32;

/** The issuer's settings (kube-apiserver's --service-account-* and --api-audiences flags). */
export interface TokenIssuerOptions {
  readonly keys: ServiceAccountKeys;
  readonly issuer: string;
  /** Audiences a request without any gets, and that the API server accepts. */
  readonly apiAudiences: readonly string[];
  /** Longer requests are cut to this (--service-account-max-token-expiration). @default none */
  readonly maxExpirationSeconds?: number;
}

/** A TokenRequest's spec after validation and defaulting. */
export interface TokenRequestSpec {
  readonly audiences: readonly string[];
  readonly expirationSeconds: number;
  readonly boundObjectRef?: {
    readonly kind: string;
    readonly apiVersion: string;
    readonly name: string;
    readonly uid?: string;
  };
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function invalid(name: string, field: string, message: string): TokenRequestError {
  return new TokenRequestError(
    422,
    'Invalid',
    `TokenRequest.authentication.k8s.io "${name}" is invalid: ${field}: ${message}`,
    [{ field, message, reason: 'FieldValueInvalid' }],
  );
}

/** Validates and defaults a TokenRequest body (as ValidateTokenRequest and the defaults of authentication/v1). */
export function parseTokenRequest(
  body: unknown,
  name: string,
  options: TokenIssuerOptions,
): TokenRequestSpec {
  if (!isObj(body))
    throw new TokenRequestError(400, 'BadRequest', 'the body of a TokenRequest must be a JSON object');
  if (body.kind !== undefined && body.kind !== 'TokenRequest')
    throw new TokenRequestError(400, 'BadRequest', `the body is a ${String(body.kind)}, not a TokenRequest`);
  const spec = body.spec ?? {};
  if (!isObj(spec)) throw invalid(name, 'spec', 'Invalid value: must be an object');
  const audiences = spec.audiences ?? [];
  if (!Array.isArray(audiences) || audiences.some((a) => typeof a !== 'string' || !a))
    throw invalid(name, 'spec.audiences', 'Invalid value: must be a list of non-empty strings');
  const requested = spec.expirationSeconds ?? DEFAULT_EXPIRATION_SECONDS;
  if (typeof requested !== 'number' || !Number.isInteger(requested))
    throw invalid(
      name,
      'spec.expirationSeconds',
      `Invalid value: ${JSON.stringify(requested)}: must be an integer`,
    );
  let seconds = requested;
  if (seconds < MIN_EXPIRATION_SECONDS)
    throw invalid(
      name,
      'spec.expirationSeconds',
      `Invalid value: ${seconds}: may not specify a duration less than 10 minutes`,
    );
  if (seconds > MAX_EXPIRATION_SECONDS)
    throw invalid(
      name,
      'spec.expirationSeconds',
      `Invalid value: ${seconds}: may not specify a duration larger than 2^32 seconds`,
    );
  if (options.maxExpirationSeconds !== undefined) seconds = Math.min(seconds, options.maxExpirationSeconds);
  let boundObjectRef: TokenRequestSpec['boundObjectRef'];
  if (spec.boundObjectRef !== undefined && spec.boundObjectRef !== null) {
    const r = spec.boundObjectRef;
    if (!isObj(r) || typeof r.name !== 'string' || !r.name || typeof r.kind !== 'string')
      throw invalid(name, 'spec.boundObjectRef', 'Invalid value: needs kind and name');
    boundObjectRef = {
      kind: r.kind,
      apiVersion: typeof r.apiVersion === 'string' ? r.apiVersion : '',
      name: r.name,
      ...(typeof r.uid === 'string' && r.uid ? { uid: r.uid } : {}),
    };
  }
  return {
    audiences: audiences.length ? (audiences as string[]) : [...options.apiAudiences],
    expirationSeconds: seconds,
    ...(boundObjectRef ? { boundObjectRef } : {}),
  };
}

function notFound(resource: string, name: string): TokenRequestError {
  return new TokenRequestError(404, 'NotFound', `${resource} "${name}" not found`);
}

const refOf = (obj: LookedUp, name: string): Ref => ({ name, uid: uidOf(obj) });

/** The objects a request binds the token to (pod, secret, node), checked as kube-apiserver's token REST does. */
async function boundObjects(
  lookup: ObjectLookup,
  namespace: string,
  saName: string,
  spec: TokenRequestSpec,
): Promise<Pick<TokenSubject, 'pod' | 'secret' | 'node'>> {
  const ref = spec.boundObjectRef;
  if (!ref) return {};
  if (ref.apiVersion !== 'v1' && ref.apiVersion !== '')
    throw new TokenRequestError(
      400,
      'BadRequest',
      `cannot bind token for serviceaccount "${saName}" to object of type ${ref.apiVersion}, Kind=${ref.kind}`,
    );
  let out: Pick<TokenSubject, 'pod' | 'secret' | 'node'>;
  let uid: string;
  if (ref.kind === 'Pod') {
    const pod = await lookup.get('pods', namespace, ref.name);
    if (!pod) throw notFound('pods', ref.name);
    const spec = (isObj(pod.spec) ? pod.spec : {}) as { serviceAccountName?: unknown; nodeName?: unknown };
    if ((spec.serviceAccountName ?? 'default') !== saName)
      throw new TokenRequestError(
        400,
        'BadRequest',
        `cannot bind token for serviceaccount "${saName}" to pod running with different serviceaccount name.`,
      );
    uid = uidOf(pod);
    const nodeName = typeof spec.nodeName === 'string' ? spec.nodeName : '';
    const node = nodeName ? await lookup.get('nodes', undefined, nodeName) : undefined;
    out = { pod: refOf(pod, ref.name), ...(node ? { node: refOf(node, nodeName) } : {}) };
  } else if (ref.kind === 'Secret') {
    const secret = await lookup.get('secrets', namespace, ref.name);
    if (!secret) throw notFound('secrets', ref.name);
    uid = uidOf(secret);
    out = { secret: refOf(secret, ref.name) };
  } else if (ref.kind === 'Node') {
    const node = await lookup.get('nodes', undefined, ref.name);
    if (!node) throw notFound('nodes', ref.name);
    uid = uidOf(node);
    out = { node: refOf(node, ref.name) };
  } else {
    throw new TokenRequestError(
      400,
      'BadRequest',
      `cannot bind token for serviceaccount "${saName}" to object of type ${ref.apiVersion || 'v1'}, Kind=${ref.kind}`,
    );
  }
  if (ref.uid && ref.uid !== uid)
    throw new TokenRequestError(
      409,
      'Conflict',
      `Operation cannot be fulfilled on ${ref.kind} "${ref.name}": the UID in the bound object reference (${ref.uid}) does not match the UID in record. The object might have been deleted and then recreated`,
    );
  return out;
}

/**
 * Answers `POST .../serviceaccounts/{name}/token`: checks the ServiceAccount and the bound object
 * exist, signs a token and returns the TokenRequest with `status.token` and `expirationTimestamp`.
 */
export async function issueTokenRequest(
  lookup: ObjectLookup,
  options: TokenIssuerOptions,
  namespace: string,
  name: string,
  body: unknown,
  now: Date,
): Promise<Record<string, unknown>> {
  const spec = parseTokenRequest(body, name, options);
  const sa = await lookup.get('serviceaccounts', namespace, name);
  if (!sa) throw notFound('serviceaccounts', name);
  const bound = await boundObjects(lookup, namespace, name, spec);
  const subject: TokenSubject = {
    namespace,
    serviceAccount: refOf(sa, name),
    audiences: spec.audiences,
    expirationSeconds: spec.expirationSeconds,
    ...bound,
  };
  const claims = buildClaims(options.issuer, subject, now);
  const token = signJwt(claims, options.keys);
  const expiration = new Date((claims.exp as number) * 1000);
  const requestMeta = isObj(body) && isObj(body.metadata) ? body.metadata : {};
  return {
    kind: 'TokenRequest',
    apiVersion: 'authentication.k8s.io/v1',
    metadata: { ...requestMeta, name, namespace, creationTimestamp: null },
    spec: {
      audiences: [...spec.audiences],
      expirationSeconds: spec.expirationSeconds,
      boundObjectRef: spec.boundObjectRef ?? null,
    },
    status: { token, expirationTimestamp: `${expiration.toISOString().slice(0, 19)}Z` },
  };
}
