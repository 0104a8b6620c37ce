import { X509Certificate } from 'node:crypto';
import { resources } from '../../client/types.js';
import type { StatusCause, UntypedObject } from '../../kube/index.js';
import { parseCsrPem } from '../../pki/csr.js';
import { ageColumn, ageOf, column, humanDuration, nameColumn, nameOf } from './columns.js';
import { identity, type ResourceDef } from './types.js';
import {
  checkQualifiedName,
  duplicate,
  forbidden,
  getPath,
  invalid,
  isRecord,
  required,
  unsupported,
} from './validation.js';

/** The key usages a CSR may ask for (k8s.io/api/certificates/v1 KeyUsage). */
export const KEY_USAGES = [
  'signing',
  'digital signature',
  'content commitment',
  'key encipherment',
  'key agreement',
  'data encipherment',
  'cert sign',
  'crl sign',
  'encipher only',
  'decipher only',
  'any',
  'server auth',
  'client auth',
  'code signing',
  'email protection',
  's/mime',
  'ipsec end system',
  'ipsec tunnel',
  'ipsec user',
  'timestamping',
  'ocsp signing',
  'microsoft sgc',
  'netscape sgc',
] as const;

const CONDITION_STATUSES = ['True', 'False', 'Unknown'];
const TERMINAL = ['Approved', 'Denied', 'Failed'];

/** The PEM text inside a base64 `spec.request` / `status.certificate`, or undefined if not base64. */
export function decodeBase64Pem(value: unknown): string | undefined {
  if (typeof value !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(value)) return undefined;
  return Buffer.from(value, 'base64').toString('latin1');
}

function conditionsOf(obj: UntypedObject): Record<string, unknown>[] {
  const list = getPath(obj, ['status', 'conditions']);
  return Array.isArray(list) ? list.filter(isRecord) : [];
}

function checkSignerName(value: unknown): StatusCause[] {
  const field = 'spec.signerName';
  if (typeof value !== 'string' || value === '') return [required(field)];
  const slash = value.indexOf('/');
  if (slash <= 0 || !value.slice(0, slash).includes('.'))
    return [
      invalid(
        field,
        value,
        "must be a fully qualified domain and path of the form 'example.com/signer-name'",
      ),
    ];
  return checkQualifiedName(value, field).length
    ? [invalid(field, value, 'validating path: must be a valid qualified name')]
    : [];
}

function checkSpec(obj: UntypedObject): StatusCause[] {
  const causes: StatusCause[] = [];
  const request = getPath(obj, ['spec', 'request']);
  const pem = decodeBase64Pem(request);
  if (request === undefined || request === '') causes.push(required('spec.request'));
  else {
    try {
      if (pem === undefined) throw new Error('PEM block type must be CERTIFICATE REQUEST');
      parseCsrPem(pem);
    } catch (err) {
      causes.push(invalid('spec.request', '[omitted]', (err as Error).message));
    }
  }
  causes.push(...checkSignerName(getPath(obj, ['spec', 'signerName'])));
  const usages = getPath(obj, ['spec', 'usages']);
  if (!Array.isArray(usages) || usages.length === 0)
    causes.push(required('spec.usages', 'usages must be provided'));
  else {
    const seen = new Set<unknown>();
    for (const [i, u] of usages.entries()) {
      if (!(KEY_USAGES as readonly unknown[]).includes(u))
        causes.push(unsupported(`spec.usages[${i}]`, u, KEY_USAGES));
      else if (seen.has(u)) causes.push(duplicate(`spec.usages[${i}]`, u));
      seen.add(u);
    }
  }
  const seconds = getPath(obj, ['spec', 'expirationSeconds']);
  if (seconds !== undefined && seconds !== null && (typeof seconds !== 'number' || seconds < 600))
    causes.push(
      invalid(
        'spec.expirationSeconds',
        seconds,
        'may not specify a duration less than 600 seconds (10 minutes)',
      ),
    );
  return causes;
}

function checkStatus(obj: UntypedObject): StatusCause[] {
  const causes: StatusCause[] = [];
  const seen = new Set<string>();
  const list = getPath(obj, ['status', 'conditions']);
  if (list !== undefined && list !== null && !(Array.isArray(list) && list.every(isRecord)))
    causes.push(invalid('status.conditions', '[omitted]', 'must be a list of conditions'));
  for (const [i, c] of conditionsOf(obj).entries()) {
    const at = `status.conditions[${i}]`;
    const type = c.type;
    if (typeof type !== 'string' || !type) causes.push(required(`${at}.type`));
    if (!CONDITION_STATUSES.includes(String(c.status)))
      causes.push(
        c.status === undefined || c.status === ''
          ? required(`${at}.status`)
          : unsupported(`${at}.status`, c.status, CONDITION_STATUSES),
      );
    if (typeof type !== 'string') continue;
    if (TERMINAL.includes(type) && seen.has(type)) causes.push(duplicate(`${at}.type`, type));
    if ((type === 'Approved' || type === 'Denied') && c.status !== undefined && c.status !== 'True')
      causes.push(unsupported(`${at}.status`, c.status, ['True']));
    seen.add(type);
  }
  if (seen.has('Approved') && seen.has('Denied'))
    causes.push(
      invalid(
        'status.conditions',
        'Approved,Denied',
        'Approved and Denied conditions are mutually exclusive',
      ),
    );
  const cert = getPath(obj, ['status', 'certificate']);
  if (cert !== undefined && cert !== null && cert !== '') {
    const pem = decodeBase64Pem(cert);
    const blocks = pem?.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
    try {
      if (!blocks.length) throw new Error('must contain at least one CERTIFICATE PEM block');
      for (const b of blocks) new X509Certificate(b);
    } catch (err) {
      causes.push(invalid('status.certificate', '<certificate data>', (err as Error).message));
    }
  }
  return causes;
}

/** The condition summary of `kubectl get csr` (printers' extractCSRStatus). */
export function csrCondition(obj: UntypedObject): string {
  const types = new Set(conditionsOf(obj).map((c) => c.type));
  let status = types.has('Denied') ? 'Denied' : types.has('Approved') ? 'Approved' : 'Pending';
  if (types.has('Failed')) status += ',Failed';
  if (getPath(obj, ['status', 'certificate'])) status += ',Issued';
  return status;
}

/**
 * Keeps what a subresource may not change (the status and approval strategies): `status` keeps
 * the Approved/Denied conditions, `approval` keeps everything but the conditions.
 */
function prepareSubresource(subresource: string, obj: UntypedObject, old: UntypedObject): void {
  const oldStatus = isRecord(old.status) ? old.status : {};
  const newConditions = conditionsOf(obj);
  const approval = (c: Record<string, unknown>) => c.type === 'Approved' || c.type === 'Denied';
  if (subresource === 'approval') {
    obj.status = { ...oldStatus, conditions: newConditions };
  } else {
    const kept = conditionsOf(old).filter(approval);
    obj.status = {
      ...(isRecord(obj.status) ? obj.status : {}),
      conditions: [...newConditions.filter((c) => !approval(c)), ...kept],
    };
  }
  if (!(obj.status as Record<string, unknown>).conditions)
    delete (obj.status as Record<string, unknown>).conditions;
}

/**
 * As the CSR strategy's PrepareForCreate: the requester is whoever created the object, whatever
 * the body claims (approvers trust spec.username and spec.groups).
 */
export function stampRequester(
  obj: UntypedObject,
  user: {
    readonly name: string;
    readonly groups: readonly string[];
    readonly uid?: string;
    readonly extra?: Readonly<Record<string, readonly string[]>>;
  },
): void {
  const spec = isRecord(obj.spec) ? obj.spec : {};
  delete spec.uid;
  delete spec.extra;
  obj.spec = {
    ...spec,
    username: user.name,
    groups: [...user.groups],
    ...(user.uid ? { uid: user.uid } : {}),
    ...(user.extra && Object.keys(user.extra).length ? { extra: user.extra } : {}),
  };
}

/** certificates.k8s.io/v1 CertificateSigningRequest, cluster-scoped, with status and approval. */
export const certificatesigningrequests: ResourceDef = {
  ...identity(resources.certificateSigningRequests),
  singular: 'certificatesigningrequest',
  shortNames: ['csr'],
  categories: [],
  subresources: ['approval', 'status'],
  statusField: 'status',
  selectableFields: ['spec.signerName'],
  // The spec is the requester's and immutable: an update of the main resource keeps it.
  prepareForUpdate(obj, old) {
    obj.spec = old.spec;
  },
  prepareSubresource,
  validate: checkSpec,
  validateUpdate(obj, old) {
    const causes = checkStatus(obj);
    for (const type of TERMINAL) {
      const before = conditionsOf(old).filter((c) => c.type === type).length;
      const after = conditionsOf(obj).filter((c) => c.type === type).length;
      if (after < before)
        causes.push(forbidden('status.conditions', `updates may not remove a condition of type "${type}"`));
    }
    const oldCert = getPath(old, ['status', 'certificate']);
    if (oldCert && oldCert !== getPath(obj, ['status', 'certificate']))
      causes.push(
        invalid('status.certificate', '[omitted]', 'updates may not modify existing certificate content'),
      );
    return causes;
  },
  columns: [
    nameColumn,
    ageColumn,
    column('SignerName', 'Name of the signer the request is for.'),
    column('Requestor', 'Name of the user that created the request.'),
    column('RequestedDuration', 'The requested duration of the issued certificate.'),
    column('Condition', 'The status of the request.'),
  ],
  cells: (obj, now) => {
    const seconds = getPath(obj, ['spec', 'expirationSeconds']);
    return [
      nameOf(obj),
      ageOf(obj, now),
      String(getPath(obj, ['spec', 'signerName']) || '<none>'),
      String(getPath(obj, ['spec', 'username']) ?? ''),
      typeof seconds === 'number' ? humanDuration(seconds * 1000) : '<none>',
      csrCondition(obj),
    ];
  },
};
