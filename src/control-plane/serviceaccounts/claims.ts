import { randomUUID } from 'node:crypto';

/** Default issuer (kube-apiserver's --service-account-issuer as kubeadm sets it). */
export const DEFAULT_ISSUER = 'https://kubernetes.default.svc.cluster.local';

/** A name and uid as the `kubernetes.io` claim carries them. */
export interface Ref {
  readonly name: string;
  readonly uid: string;
}

/** The private claim `kubernetes.io` of a bound token (names as upstream's privateClaims). */
export interface KubernetesClaim {
  readonly namespace: string;
  readonly serviceaccount: Ref;
  readonly pod?: Ref;
  readonly secret?: Ref;
  readonly node?: Ref;
}

/** What a token is issued for. */
export interface TokenSubject {
  readonly namespace: string;
  readonly serviceAccount: Ref;
  readonly audiences: readonly string[];
  readonly expirationSeconds: number;
  readonly pod?: Ref;
  readonly secret?: Ref;
  readonly node?: Ref;
}

/** `system:serviceaccount:<ns>:<name>`, the user a token authenticates as. */
export function serviceAccountUser(namespace: string, name: string): string {
  return `system:serviceaccount:${namespace}:${name}`;
}

/** The registered and private claims of a bound service-account token (as kube-apiserver's Claims()). */
export function buildClaims(issuer: string, subject: TokenSubject, now: Date): Record<string, unknown> {
  const iat = Math.floor(now.getTime() / 1000);
  const k8s: KubernetesClaim = {
    namespace: subject.namespace,
    serviceaccount: subject.serviceAccount,
    ...(subject.pod ? { pod: subject.pod } : {}),
    ...(subject.secret ? { secret: subject.secret } : {}),
    ...(subject.node ? { node: subject.node } : {}),
  };
  return {
    aud: [...subject.audiences],
    exp: iat + subject.expirationSeconds,
    iat,
    iss: issuer,
    jti: randomUUID(),
    'kubernetes.io': k8s,
    nbf: iat,
    sub: serviceAccountUser(subject.namespace, subject.serviceAccount.name),
  };
}

function ref(v: unknown): Ref | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  const { name, uid } = v as Record<string, unknown>;
  return typeof name === 'string' && name && typeof uid === 'string' ? { name, uid } : undefined;
}

/** The `kubernetes.io` claim of verified claims, or undefined when it is malformed. */
export function kubernetesClaimOf(claims: Record<string, unknown>): KubernetesClaim | undefined {
  const k = claims['kubernetes.io'];
  if (typeof k !== 'object' || k === null) return undefined;
  const r = k as Record<string, unknown>;
  const serviceaccount = ref(r.serviceaccount);
  if (typeof r.namespace !== 'string' || !r.namespace || !serviceaccount) return undefined;
  const out: { -readonly [K in keyof KubernetesClaim]: KubernetesClaim[K] } = {
    namespace: r.namespace,
    serviceaccount,
  };
  for (const key of ['pod', 'secret', 'node'] as const) {
    if (r[key] === undefined) continue;
    const bound = ref(r[key]);
    if (!bound) return undefined;
    out[key] = bound;
  }
  return out;
}
