import { resources } from '../../client/types.js';
import { type EventSink, silentEvents } from '../../events.js';
import type { KubeObject } from '../../kube/index.js';
import type { CertificateAuthority } from '../../pki/authority.js';
import type { ControllerApi } from '../machinery/api.js';
import { type Clock, formatTime, systemClock } from '../machinery/clock.js';
import { Informer } from '../machinery/informer.js';
import { decideApproval, type RequesterCheck } from './csr-approver.js';
import { type CsrObject, decideSigning } from './csr-signer.js';
import type { InstanceVerifier } from './instance-verifier.js';
import { ControllerRunner } from './runner.js';

/** Options of {@link startCsrControllers}. */
export interface CsrControllersOptions {
  readonly api: ControllerApi;
  /** Cluster CA (kube-controller-manager's --cluster-signing-cert-file/key-file). @default no signer */
  readonly ca?: CertificateAuthority;
  /** Who is a running machine of this cluster. */
  readonly verifier: InstanceVerifier;
  /** Longest certificate issued (--cluster-signing-duration). @default 1 year */
  readonly maxDurationSeconds?: number;
  /** @default the system clock */
  readonly clock?: Clock;
  /** @default silentEvents */
  readonly events?: EventSink;
}

type Csr = CsrObject & KubeObject;
const csrs = resources.certificateSigningRequests;

function sarCheck(api: ControllerApi): RequesterCheck {
  return async (csr, subresource) => {
    const review = await api.create<KubeObject & { status?: { allowed?: boolean } }>(
      resources.subjectAccessReviews,
      {
        apiVersion: 'authorization.k8s.io/v1',
        kind: 'SubjectAccessReview',
        metadata: {},
        spec: {
          user: csr.spec.username,
          groups: csr.spec.groups,
          ...(csr.spec.uid ? { uid: csr.spec.uid } : {}),
          ...(csr.spec.extra ? { extra: csr.spec.extra } : {}),
          resourceAttributes: {
            group: 'certificates.k8s.io',
            resource: 'certificatesigningrequests',
            verb: 'create',
            subresource,
          },
        },
      } as KubeObject,
    );
    return review.status?.allowed === true;
  };
}

/**
 * The CSR approver and signer over a CSR informer and one work queue: each key is approved (when
 * {@link decideApproval} says so) and then signed (when approved, {@link decideSigning}); writes
 * go to the approval and status subresources with the read resourceVersion, so a concurrent
 * change is a conflict and a retry, never a lost update.
 */
export function startCsrControllers(options: CsrControllersOptions): { stop(): Promise<void> } {
  const { api } = options;
  const clock = options.clock ?? systemClock;
  const events = options.events ?? silentEvents;
  const maxSeconds = options.maxDurationSeconds ?? 365 * 86_400;
  const informer = new Informer<Csr>(api, csrs, { events });
  const mayRequest = sarCheck(api);
  const nodeAddresses = async (name: string) => {
    const node = await api.get<KubeObject & { status?: { addresses?: { address?: string }[] } }>(
      resources.nodes,
      undefined,
      name,
    );
    return node?.status?.addresses?.map((a) => String(a.address ?? ''));
  };
  const condition = (type: string, reason: string, message: string) => {
    const at = formatTime(clock.now());
    return { type, status: 'True', reason, message, lastUpdateTime: at, lastTransitionTime: at };
  };

  const reconcile = async (key: string) => {
    let csr = informer.get(key);
    if (!csr) return undefined;
    const approval = await decideApproval(csr, { verifier: options.verifier, mayRequest, nodeAddresses });
    if (approval) {
      csr = await api.patch<Csr>(
        csrs,
        undefined,
        key,
        {
          metadata: { resourceVersion: csr.metadata.resourceVersion },
          status: {
            conditions: [
              ...(csr.status?.conditions ?? []),
              condition('Approved', approval.reason, approval.message),
            ],
          },
        },
        { subresource: 'approval' },
      );
      events.emit({
        code: 'csr.approved',
        level: 'info',
        message: `approved ${key}: ${approval.message}`,
        data: { name: key },
      });
    }
    if (!options.ca) return undefined;
    const decision = decideSigning(csr, options.ca, new Date(clock.now()), maxSeconds);
    if (decision.kind === 'skip') return undefined;
    const status =
      decision.kind === 'sign'
        ? { certificate: Buffer.from(decision.certificatePem).toString('base64') }
        : {
            conditions: [
              ...(csr.status?.conditions ?? []),
              condition('Failed', 'SignerValidationFailure', decision.message),
            ],
          };
    await api.patch(
      csrs,
      undefined,
      key,
      { metadata: { resourceVersion: csr.metadata.resourceVersion }, status },
      { subresource: 'status' },
    );
    events.emit({
      code: decision.kind === 'sign' ? 'csr.signed' : 'csr.failed',
      level: decision.kind === 'sign' ? 'info' : 'warn',
      message:
        decision.kind === 'sign' ? `issued a certificate for ${key}` : `${key} failed: ${decision.message}`,
      data: { name: key },
    });
    return undefined;
  };

  const runner = new ControllerRunner({ name: 'csr', workers: 2, events, reconcile });
  const enqueue = (o: Csr) => runner.enqueue(o.metadata.name ?? '');
  informer.addHandlers({ onAdd: enqueue, onUpdate: enqueue });
  const started = informer.start().then(() => runner.start());
  started.catch((err: unknown) =>
    events.emit({ code: 'csr.start-failed', level: 'error', message: `CSR controllers: ${String(err)}` }),
  );
  return {
    async stop() {
      await started.catch(() => undefined);
      await runner.stop();
      informer.stop();
    },
  };
}
