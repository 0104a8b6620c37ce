import type { ParsedCsr } from '../../pki/csr.js';
import {
  type CsrObject,
  hasCondition,
  KUBELET_CLIENT_SIGNER,
  KUBELET_SERVING_SIGNER,
  nodeCsrProblem,
  requestOf,
} from './csr-signer.js';
import type { InstanceVerifier } from './instance-verifier.js';

/** Asks the authorizer whether the CSR's requester may create `certificatesigningrequests/<sub>`. */
export type RequesterCheck = (
  csr: CsrObject,
  subresource: 'nodeclient' | 'selfnodeclient',
) => Promise<boolean>;

/** What the approver needs besides the CSR. */
export interface ApproverDeps {
  readonly verifier: InstanceVerifier;
  readonly mayRequest: RequesterCheck;
  /** The addresses in a Node's status (for serving certificates); undefined when no such Node. */
  readonly nodeAddresses: (nodeName: string) => Promise<readonly string[] | undefined>;
}

/** An approval, with upstream's reason and message. */
export interface Approval {
  readonly reason: 'AutoApproved';
  readonly message: string;
}

const NODE_PREFIX = 'system:node:';

function nodeRequest(csr: CsrObject): ParsedCsr | undefined {
  try {
    const req = requestOf(csr);
    return nodeCsrProblem(csr.spec.signerName ?? '', req, csr.spec.usages ?? []) ? undefined : req;
  } catch {
    return undefined;
  }
}

/**
 * kube-controller-manager's csrapproving (sarapprove) plus the instance check of TLS
 * bootstrapping on a cloud: approves
 * - a node's renewal of its own client certificate (requester = the CN, may create
 *   `selfnodeclient`);
 * - a first client certificate from a bootstrap token (may create `nodeclient`) only when the
 *   requested node name is a running instance of this cluster;
 * - a node's serving certificate when the requester is that node, every SAN is one of the Node's
 *   addresses, and the node is a running instance with those addresses.
 * Anything else stays pending for an admin (`kubectl certificate approve|deny`).
 */
export async function decideApproval(csr: CsrObject, deps: ApproverDeps): Promise<Approval | undefined> {
  if (hasCondition(csr, 'Approved') || hasCondition(csr, 'Denied')) return undefined;
  const signer = csr.spec.signerName;
  if (signer !== KUBELET_CLIENT_SIGNER && signer !== KUBELET_SERVING_SIGNER) return undefined;
  const req = nodeRequest(csr);
  if (!req) return undefined;
  const nodeName = req.commonName.slice(NODE_PREFIX.length);
  const self = csr.spec.username === req.commonName;
  if (signer === KUBELET_SERVING_SIGNER) {
    if (!self) return undefined;
    const known = await deps.nodeAddresses(nodeName);
    const sans = [...req.dnsNames, ...req.ipAddresses];
    if (!known || !sans.every((s) => known.includes(s))) return undefined;
    if (!(await deps.verifier.isRunningNode(nodeName, req.ipAddresses))) return undefined;
    return {
      reason: 'AutoApproved',
      message: 'Auto approving kubelet serving certificate after instance check.',
    };
  }
  // A renewal is signed with the node's current certificate: its identity is already proven.
  if (self && (await deps.mayRequest(csr, 'selfnodeclient'))) {
    return {
      reason: 'AutoApproved',
      message: 'Auto approving self kubelet client certificate after SubjectAccessReview.',
    };
  }
  if (!(await deps.mayRequest(csr, 'nodeclient'))) return undefined;
  if (!(await deps.verifier.isRunningNode(nodeName))) return undefined;
  return {
    reason: 'AutoApproved',
    message: 'Auto approving kubelet client certificate after SubjectAccessReview.',
  };
}
