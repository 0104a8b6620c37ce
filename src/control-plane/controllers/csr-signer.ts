import type { CertificateAuthority } from '../../pki/authority.js';
import { signPublicKey } from '../../pki/authority.js';
import { type ParsedCsr, parseCsrPem } from '../../pki/csr.js';

/** The signers this control plane implements (kube-controller-manager's csrsigning, for nodes). */
export const KUBELET_CLIENT_SIGNER = 'kubernetes.io/kube-apiserver-client-kubelet';
export const KUBELET_SERVING_SIGNER = 'kubernetes.io/kubelet-serving';

/** A CSR as the controllers read it (the fields they use). */
export interface CsrObject {
  readonly metadata: { readonly name?: string; readonly resourceVersion?: string };
  readonly spec: {
    readonly request?: string;
    readonly signerName?: string;
    readonly usages?: readonly string[];
    readonly username?: string;
    readonly groups?: readonly string[];
    readonly uid?: string;
    readonly extra?: Readonly<Record<string, readonly string[]>>;
    readonly expirationSeconds?: number;
  };
  readonly status?: {
    readonly certificate?: string;
    readonly conditions?: readonly { readonly type?: string; readonly status?: string }[];
  };
}

export function hasCondition(csr: CsrObject, type: string): boolean {
  return (csr.status?.conditions ?? []).some((c) => c.type === type);
}

/** The PKCS#10 request of a CSR object (base64 PEM in JSON). Throws when unreadable. */
export function requestOf(csr: CsrObject): ParsedCsr {
  return parseCsrPem(Buffer.from(csr.spec.request ?? '', 'base64').toString('latin1'));
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x) => b.includes(x));
}

/** Usages each node signer accepts: required ones, plus key encipherment (RSA keys) optionally. */
function checkUsages(usages: readonly string[], required: readonly string[]): string | undefined {
  const rest = usages.filter((u) => u !== 'key encipherment');
  return sameSet(rest, required) ? undefined : `usages did not match [${required.join(' ')}]`;
}

/**
 * k8s.io/api/certificates/v1 ValidateKubeletClientCSR / the serving equivalent: why a request
 * is not a node certificate this signer issues, or undefined when it is one.
 */
export function nodeCsrProblem(
  signer: string,
  req: ParsedCsr,
  usages: readonly string[],
): string | undefined {
  if (!sameSet(req.organizations, ['system:nodes'])) return 'subject organization is not system:nodes';
  if (!req.commonName.startsWith('system:node:'))
    return 'subject common name does not begin with system:node:';
  if (req.otherNames.length) return 'email addresses and URIs are not allowed';
  if (signer === KUBELET_CLIENT_SIGNER) {
    if (req.dnsNames.length) return 'dnsNames are not allowed';
    if (req.ipAddresses.length) return 'ipAddresses are not allowed';
    return checkUsages(usages, ['digital signature', 'client auth']);
  }
  if (!req.dnsNames.length && !req.ipAddresses.length) return 'DNS or IP subjectAltName is required';
  return checkUsages(usages, ['digital signature', 'server auth']);
}

/** What the signer does with one CSR. */
export type SignDecision =
  | { readonly kind: 'skip' }
  | { readonly kind: 'sign'; readonly certificatePem: string }
  | { readonly kind: 'fail'; readonly message: string };

/**
 * The csrsigning controller for one CSR: approved, not denied/failed/issued, for a node signer →
 * a certificate from the cluster CA for the request's key, subject and SANs, valid for
 * expirationSeconds capped at `maxSeconds`; a request the signer cannot issue → Failed
 * (SignerValidationFailure). Other signers' requests are left alone.
 */
export function decideSigning(
  csr: CsrObject,
  ca: CertificateAuthority,
  now: Date,
  maxSeconds: number,
): SignDecision {
  const signer = csr.spec.signerName ?? '';
  if (signer !== KUBELET_CLIENT_SIGNER && signer !== KUBELET_SERVING_SIGNER) return { kind: 'skip' };
  if (!hasCondition(csr, 'Approved') || hasCondition(csr, 'Denied') || hasCondition(csr, 'Failed'))
    return { kind: 'skip' };
  if (csr.status?.certificate) return { kind: 'skip' };
  let req: ParsedCsr;
  try {
    req = requestOf(csr);
  } catch (err) {
    return { kind: 'fail', message: (err as Error).message };
  }
  const problem = nodeCsrProblem(signer, req, csr.spec.usages ?? []);
  if (problem) return { kind: 'fail', message: problem };
  const seconds = Math.min(csr.spec.expirationSeconds ?? maxSeconds, maxSeconds);
  const certificatePem = signPublicKey(ca, req.publicKey, {
    subject: { commonName: req.commonName, organizations: req.organizations },
    usage: signer === KUBELET_CLIENT_SIGNER ? 'client' : 'server',
    altNames: [...req.dnsNames, ...req.ipAddresses],
    now,
    validityDays: seconds / 86_400,
  });
  return { kind: 'sign', certificatePem };
}
