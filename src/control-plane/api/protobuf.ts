import { ApiError, badRequest } from './status.js';

/**
 * Decodes the Kubernetes protobuf envelope (`k8s\0` + runtime.Unknown) for the objects kubectl ≥
 * 1.32 sends from its `create` generators (namespace, configmap, secret, serviceaccount, service,
 * deployment, job, cronjob). Field numbers are those of k8s.io/api's generated.proto (checked against the
 * struct tags in kubectl 1.32). Decoding is strict: a non-zero field outside this table answers 415
 * instead of being dropped silently; `status` is ignored (create resets it anyway) except for CSRs, whose
 * approval kubectl sends as a whole object.
 */

type Field =
  | readonly [
      name: string,
      kind: 'string' | 'int' | 'bool' | 'bytes' | 'time' | 'intOrString' | 'quantity' | 'skip',
    ]
  | readonly [name: string, kind: 'message', message: string]
  | readonly [name: string, kind: 'repeated', of: 'string' | string]
  | readonly [name: string, kind: 'map', value: 'string' | 'bytes' | 'quantity' | 'ExtraValue'];

type Schema = Readonly<Record<number, Field>>;

const S: Record<string, Schema> = {
  Unknown: {
    1: ['typeMeta', 'message', 'TypeMeta'],
    2: ['raw', 'bytes'],
    3: ['contentEncoding', 'string'],
    4: ['contentType', 'string'],
  },
  TypeMeta: { 1: ['apiVersion', 'string'], 2: ['kind', 'string'] },
  ObjectMeta: {
    1: ['name', 'string'],
    2: ['generateName', 'string'],
    3: ['namespace', 'string'],
    5: ['uid', 'string'],
    6: ['resourceVersion', 'string'],
    7: ['generation', 'int'],
    8: ['creationTimestamp', 'time'],
    9: ['deletionTimestamp', 'time'],
    10: ['deletionGracePeriodSeconds', 'int'],
    11: ['labels', 'map', 'string'],
    12: ['annotations', 'map', 'string'],
    13: ['ownerReferences', 'repeated', 'OwnerReference'],
    14: ['finalizers', 'repeated', 'string'],
  },
  OwnerReference: {
    1: ['kind', 'string'],
    3: ['name', 'string'],
    4: ['uid', 'string'],
    5: ['apiVersion', 'string'],
    6: ['controller', 'bool'],
    7: ['blockOwnerDeletion', 'bool'],
  },
  LabelSelector: {
    1: ['matchLabels', 'map', 'string'],
    2: ['matchExpressions', 'repeated', 'LabelSelectorRequirement'],
  },
  LabelSelectorRequirement: {
    1: ['key', 'string'],
    2: ['operator', 'string'],
    3: ['values', 'repeated', 'string'],
  },
  Namespace: {
    1: ['metadata', 'message', 'ObjectMeta'],
    2: ['spec', 'message', 'NamespaceSpec'],
    3: ['status', 'skip'],
  },
  NamespaceSpec: { 1: ['finalizers', 'repeated', 'string'] },
  ConfigMap: {
    1: ['metadata', 'message', 'ObjectMeta'],
    2: ['data', 'map', 'string'],
    3: ['binaryData', 'map', 'bytes'],
    4: ['immutable', 'bool'],
  },
  Secret: {
    1: ['metadata', 'message', 'ObjectMeta'],
    2: ['data', 'map', 'bytes'],
    3: ['type', 'string'],
    4: ['stringData', 'map', 'string'],
    5: ['immutable', 'bool'],
  },
  ServiceAccount: {
    1: ['metadata', 'message', 'ObjectMeta'],
    3: ['imagePullSecrets', 'repeated', 'LocalObjectReference'],
    4: ['automountServiceAccountToken', 'bool'],
  },
  LocalObjectReference: { 1: ['name', 'string'] },
  Service: {
    1: ['metadata', 'message', 'ObjectMeta'],
    2: ['spec', 'message', 'ServiceSpec'],
    3: ['status', 'skip'],
  },
  ServiceSpec: {
    1: ['ports', 'repeated', 'ServicePort'],
    2: ['selector', 'map', 'string'],
    3: ['clusterIP', 'string'],
    4: ['type', 'string'],
    5: ['externalIPs', 'repeated', 'string'],
    7: ['sessionAffinity', 'string'],
    10: ['externalName', 'string'],
    18: ['clusterIPs', 'repeated', 'string'],
  },
  ServicePort: {
    1: ['name', 'string'],
    2: ['protocol', 'string'],
    3: ['port', 'int'],
    4: ['targetPort', 'intOrString'],
    5: ['nodePort', 'int'],
    6: ['appProtocol', 'string'],
  },
  Deployment: {
    1: ['metadata', 'message', 'ObjectMeta'],
    2: ['spec', 'message', 'DeploymentSpec'],
    3: ['status', 'skip'],
  },
  DeploymentSpec: {
    1: ['replicas', 'int'],
    2: ['selector', 'message', 'LabelSelector'],
    3: ['template', 'message', 'PodTemplateSpec'],
    4: ['strategy', 'message', 'DeploymentStrategy'],
    5: ['minReadySeconds', 'int'],
    6: ['revisionHistoryLimit', 'int'],
    7: ['paused', 'bool'],
    9: ['progressDeadlineSeconds', 'int'],
  },
  DeploymentStrategy: { 1: ['type', 'string'], 2: ['rollingUpdate', 'message', 'RollingUpdateDeployment'] },
  RollingUpdateDeployment: { 1: ['maxUnavailable', 'intOrString'], 2: ['maxSurge', 'intOrString'] },
  Job: { 1: ['metadata', 'message', 'ObjectMeta'], 2: ['spec', 'message', 'JobSpec'], 3: ['status', 'skip'] },
  JobSpec: {
    1: ['parallelism', 'int'],
    2: ['completions', 'int'],
    3: ['activeDeadlineSeconds', 'int'],
    4: ['selector', 'message', 'LabelSelector'],
    5: ['manualSelector', 'bool'],
    6: ['template', 'message', 'PodTemplateSpec'],
    7: ['backoffLimit', 'int'],
    8: ['ttlSecondsAfterFinished', 'int'],
    9: ['completionMode', 'string'],
    10: ['suspend', 'bool'],
  },
  // certificates/v1: status too, since `kubectl certificate approve|deny` PUTs it to /approval.
  CertificateSigningRequest: {
    1: ['metadata', 'message', 'ObjectMeta'],
    2: ['spec', 'message', 'CertificateSigningRequestSpec'],
    3: ['status', 'message', 'CertificateSigningRequestStatus'],
  },
  CertificateSigningRequestSpec: {
    1: ['request', 'bytes'],
    2: ['username', 'string'],
    3: ['uid', 'string'],
    4: ['groups', 'repeated', 'string'],
    5: ['usages', 'repeated', 'string'],
    6: ['extra', 'map', 'ExtraValue'],
    7: ['signerName', 'string'],
    8: ['expirationSeconds', 'int'],
  },
  ExtraValue: { 1: ['items', 'repeated', 'string'] },
  CertificateSigningRequestStatus: {
    1: ['conditions', 'repeated', 'CertificateSigningRequestCondition'],
    2: ['certificate', 'bytes'],
  },
  CertificateSigningRequestCondition: {
    1: ['type', 'string'],
    2: ['reason', 'string'],
    3: ['message', 'string'],
    4: ['lastUpdateTime', 'time'],
    5: ['lastTransitionTime', 'time'],
    6: ['status', 'string'],
  },
  CronJob: {
    1: ['metadata', 'message', 'ObjectMeta'],
    2: ['spec', 'message', 'CronJobSpec'],
    3: ['status', 'skip'],
  },
  CronJobSpec: {
    1: ['schedule', 'string'],
    2: ['startingDeadlineSeconds', 'int'],
    3: ['concurrencyPolicy', 'string'],
    4: ['suspend', 'bool'],
    5: ['jobTemplate', 'message', 'JobTemplateSpec'],
    6: ['successfulJobsHistoryLimit', 'int'],
    7: ['failedJobsHistoryLimit', 'int'],
    8: ['timeZone', 'string'],
  },
  JobTemplateSpec: { 1: ['metadata', 'message', 'ObjectMeta'], 2: ['spec', 'message', 'JobSpec'] },
  PodTemplateSpec: { 1: ['metadata', 'message', 'ObjectMeta'], 2: ['spec', 'message', 'PodSpec'] },
  PodSpec: {
    2: ['containers', 'repeated', 'Container'],
    3: ['restartPolicy', 'string'],
    4: ['terminationGracePeriodSeconds', 'int'],
    5: ['activeDeadlineSeconds', 'int'],
    6: ['dnsPolicy', 'string'],
    7: ['nodeSelector', 'map', 'string'],
    8: ['serviceAccountName', 'string'],
    9: ['serviceAccount', 'string'],
    10: ['nodeName', 'string'],
    11: ['hostNetwork', 'bool'],
    14: ['securityContext', 'message', 'PodSecurityContext'],
    16: ['hostname', 'string'],
    17: ['subdomain', 'string'],
    19: ['schedulerName', 'string'],
    20: ['initContainers', 'repeated', 'Container'],
    25: ['priority', 'int'],
    30: ['enableServiceLinks', 'bool'],
    31: ['preemptionPolicy', 'string'],
  },
  Container: {
    1: ['name', 'string'],
    2: ['image', 'string'],
    3: ['command', 'repeated', 'string'],
    4: ['args', 'repeated', 'string'],
    5: ['workingDir', 'string'],
    6: ['ports', 'repeated', 'ContainerPort'],
    7: ['env', 'repeated', 'EnvVar'],
    8: ['resources', 'message', 'ResourceRequirements'],
    13: ['terminationMessagePath', 'string'],
    14: ['imagePullPolicy', 'string'],
    16: ['stdin', 'bool'],
    17: ['stdinOnce', 'bool'],
    18: ['tty', 'bool'],
    20: ['terminationMessagePolicy', 'string'],
  },
  // The defaults a stored template carries (kubectl create job --from=cronjob/x sends them back).
  PodSecurityContext: {},
  ContainerPort: {
    1: ['name', 'string'],
    2: ['hostPort', 'int'],
    3: ['containerPort', 'int'],
    4: ['protocol', 'string'],
    5: ['hostIP', 'string'],
  },
  EnvVar: { 1: ['name', 'string'], 2: ['value', 'string'] },
  ResourceRequirements: { 1: ['limits', 'map', 'quantity'], 2: ['requests', 'map', 'quantity'] },
  IntOrString: { 1: ['type', 'int'], 2: ['intVal', 'int'], 3: ['strVal', 'string'] },
  Quantity: { 1: ['string', 'string'] },
  Time: { 1: ['seconds', 'int'], 2: ['nanos', 'int'] },
  MapEntry: { 1: ['key', 'string'], 2: ['value', 'bytes'] },
  Role: { 1: ['metadata', 'message', 'ObjectMeta'], 2: ['rules', 'repeated', 'PolicyRule'] },
  ClusterRole: {
    1: ['metadata', 'message', 'ObjectMeta'],
    2: ['rules', 'repeated', 'PolicyRule'],
    3: ['aggregationRule', 'message', 'AggregationRule'],
  },
  AggregationRule: { 1: ['clusterRoleSelectors', 'repeated', 'LabelSelector'] },
  PolicyRule: {
    1: ['verbs', 'repeated', 'string'],
    2: ['apiGroups', 'repeated', 'string'],
    3: ['resources', 'repeated', 'string'],
    4: ['resourceNames', 'repeated', 'string'],
    5: ['nonResourceURLs', 'repeated', 'string'],
  },
  RoleBinding: {
    1: ['metadata', 'message', 'ObjectMeta'],
    2: ['subjects', 'repeated', 'Subject'],
    3: ['roleRef', 'message', 'RoleRef'],
  },
  ClusterRoleBinding: {
    1: ['metadata', 'message', 'ObjectMeta'],
    2: ['subjects', 'repeated', 'Subject'],
    3: ['roleRef', 'message', 'RoleRef'],
  },
  Subject: {
    1: ['kind', 'string'],
    2: ['apiGroup', 'string'],
    3: ['name', 'string'],
    4: ['namespace', 'string'],
  },
  RoleRef: { 1: ['apiGroup', 'string'], 2: ['kind', 'string'], 3: ['name', 'string'] },
  SelfSubjectAccessReview: {
    1: ['metadata', 'message', 'ObjectMeta'],
    2: ['spec', 'message', 'SelfSubjectAccessReviewSpec'],
    3: ['status', 'skip'],
  },
  SelfSubjectAccessReviewSpec: {
    1: ['resourceAttributes', 'message', 'ResourceAttributes'],
    2: ['nonResourceAttributes', 'message', 'NonResourceAttributes'],
  },
  ResourceAttributes: {
    1: ['namespace', 'string'],
    2: ['verb', 'string'],
    3: ['group', 'string'],
    4: ['version', 'string'],
    5: ['resource', 'string'],
    6: ['subresource', 'string'],
    7: ['name', 'string'],
  },
  NonResourceAttributes: { 1: ['path', 'string'], 2: ['verb', 'string'] },
  SelfSubjectRulesReview: {
    1: ['metadata', 'message', 'ObjectMeta'],
    2: ['spec', 'message', 'SelfSubjectRulesReviewSpec'],
    3: ['status', 'skip'],
  },
  SelfSubjectRulesReviewSpec: { 1: ['namespace', 'string'] },
  SubjectAccessReview: {
    1: ['metadata', 'message', 'ObjectMeta'],
    2: ['spec', 'message', 'SubjectAccessReviewSpec'],
    3: ['status', 'skip'],
  },
  SubjectAccessReviewSpec: {
    1: ['resourceAttributes', 'message', 'ResourceAttributes'],
    2: ['nonResourceAttributes', 'message', 'NonResourceAttributes'],
    3: ['user', 'string'],
    4: ['groups', 'repeated', 'string'],
    6: ['uid', 'string'],
  },
  SelfSubjectReview: { 1: ['metadata', 'message', 'ObjectMeta'], 2: ['status', 'skip'] },
  // authentication.k8s.io/v1 (kubectl create token)
  TokenRequest: {
    1: ['metadata', 'message', 'ObjectMeta'],
    2: ['spec', 'message', 'TokenRequestSpec'],
    3: ['status', 'skip'],
  },
  TokenRequestSpec: {
    1: ['audiences', 'repeated', 'string'],
    3: ['boundObjectRef', 'message', 'BoundObjectReference'],
    4: ['expirationSeconds', 'int'],
  },
  BoundObjectReference: {
    1: ['kind', 'string'],
    2: ['apiVersion', 'string'],
    3: ['name', 'string'],
    4: ['uid', 'string'],
  },
};

/** Top-level kinds whose protobuf bodies are accepted. */
const KINDS = new Set([
  'Namespace',
  'ConfigMap',
  'Secret',
  'ServiceAccount',
  'Service',
  'Deployment',
  'Job',
  'Role',
  'ClusterRole',
  'RoleBinding',
  'ClusterRoleBinding',
  'SelfSubjectAccessReview',
  'SelfSubjectRulesReview',
  'SubjectAccessReview',
  'SelfSubjectReview',
  'CronJob',
  'TokenRequest',
  'CertificateSigningRequest',
]);

const MAGIC = Buffer.from('k8s\u0000', 'latin1');

function unsupported(message: string): never {
  throw new ApiError(
    415,
    'UnsupportedMediaType',
    `${message}: send the object as JSON (kubectl apply -f, or create -f)`,
  );
}

class Reader {
  pos = 0;
  constructor(readonly buf: Buffer) {}
  varint(): bigint {
    let result = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      if (this.pos >= this.buf.length) unsupported('truncated protobuf varint');
      const b = this.buf[this.pos++]!;
      result |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) return result;
    }
    return unsupported('protobuf varint too long');
  }
  bytes(): Buffer {
    const len = Number(this.varint());
    if (this.pos + len > this.buf.length) unsupported('truncated protobuf field');
    const out = this.buf.subarray(this.pos, this.pos + len);
    this.pos += len;
    return out;
  }
}

/**
 * Fields that are pointers in Go, where an explicit 0 or false is data. Everywhere else Go writes
 * zero values of plain fields, which its JSON encoding would omit, so they decode as unset.
 */
const POINTER_FIELDS = new Set([
  'replicas',
  'parallelism',
  'completions',
  'backoffLimit',
  'activeDeadlineSeconds',
  'terminationGracePeriodSeconds',
  'revisionHistoryLimit',
  'progressDeadlineSeconds',
  'ttlSecondsAfterFinished',
  'deletionGracePeriodSeconds',
  'immutable',
  'automountServiceAccountToken',
  'manualSelector',
  'suspend',
  'startingDeadlineSeconds',
  'priority',
  'enableServiceLinks',
  'successfulJobsHistoryLimit',
  'failedJobsHistoryLimit',
  'expirationSeconds',
  'controller',
  'blockOwnerDeletion',
  'expirationSeconds',
]);

function decodeValue(kind: string, raw: Buffer | bigint, path: string): unknown {
  const key = path.slice(path.lastIndexOf('.') + 1);
  if (typeof raw === 'bigint') {
    if (raw === 0n && !POINTER_FIELDS.has(key)) return undefined;
    if (kind === 'bool') return raw !== 0n;
    return Number(BigInt.asIntN(64, raw));
  }
  switch (kind) {
    case 'string':
      return raw.length === 0 ? undefined : raw.toString('utf8');
    case 'bytes':
      return raw.toString('base64');
    case 'time': {
      const t = decodeMessage('Time', raw, path) as { seconds?: unknown };
      if (!t.seconds) return undefined;
      // RFC 3339 has four-digit years: 0001-01-01T00:00:00Z .. 9999-12-31T23:59:59Z.
      if (typeof t.seconds !== 'number' || t.seconds < -62_135_596_800 || t.seconds > 253_402_300_799)
        throw badRequest(
          `${path}: Invalid value: ${String(t.seconds)} seconds: a time must lie between the years 0001 and 9999`,
        );
      return `${new Date(t.seconds * 1000).toISOString().slice(0, 19)}Z`;
    }
    case 'intOrString': {
      const v = decodeMessage('IntOrString', raw, path) as {
        type?: number;
        intVal?: number;
        strVal?: string;
      };
      return v.type === 1 ? (v.strVal ?? '') : (v.intVal ?? 0);
    }
    case 'quantity':
      return (decodeMessage('Quantity', raw, path) as { string?: string }).string ?? '0';
    default:
      return decodeMessage(kind, raw, path);
  }
}

function decodeMessage(name: string, buf: Buffer, path: string): Record<string, unknown> {
  const schema = S[name];
  if (!schema) return unsupported(`protobuf message ${name} is not supported`);
  const out: Record<string, unknown> = {};
  const r = new Reader(buf);
  while (r.pos < buf.length) {
    const tag = Number(r.varint());
    const num = tag >>> 3;
    const wire = tag & 7;
    if (wire !== 0 && wire !== 2) unsupported(`protobuf wire type ${wire} at ${path} is not supported`);
    const raw = wire === 0 ? r.varint() : r.bytes();
    const field = schema[num];
    if (!field) {
      // Go's generated marshallers write zero values of non-pointer fields; only data is refused.
      if (raw === 0n || (raw instanceof Buffer && raw.length === 0)) continue;
      unsupported(`protobuf field ${num} of ${name} (at ${path || 'the object'}) is not supported`);
    }
    const [key, kind] = field;
    if (kind === 'skip') continue;
    const at = path ? `${path}.${key}` : key;
    if (kind === 'repeated') {
      const list = (out[key] as unknown[] | undefined) ?? [];
      // An empty string in a list is data (the core API group is ""), unlike an empty plain field.
      list.push(
        field[2] === 'string' && raw instanceof Buffer
          ? raw.toString('utf8')
          : decodeValue(field[2], raw, at),
      );
      out[key] = list;
    } else if (kind === 'map') {
      if (!(raw instanceof Buffer)) unsupported(`protobuf map ${at} is malformed`);
      const entry = decodeMessage('MapEntry', raw, at) as { key?: string; value?: string };
      const bytes = Buffer.from(entry.value ?? '', 'base64');
      const map = (out[key] as Record<string, unknown> | undefined) ?? {};
      const valueKind = field[2];
      map[entry.key ?? ''] =
        valueKind === 'ExtraValue'
          ? ((decodeMessage('ExtraValue', bytes, at) as { items?: string[] }).items ?? [])
          : valueKind === 'bytes'
            ? bytes.toString('base64')
            : valueKind === 'quantity'
              ? decodeValue('quantity', bytes, at)
              : bytes.toString('utf8');
      out[key] = map;
    } else {
      const value = decodeValue(kind === 'message' ? field[2] : kind, raw, at);
      if (value !== undefined) out[key] = value;
    }
  }
  return out;
}

/** True when a body starts with the Kubernetes protobuf magic `k8s\0`. */
export function isKubernetesProtobuf(body: Buffer): boolean {
  return body.length >= 4 && body.subarray(0, 4).equals(MAGIC);
}

/** Decodes a `application/vnd.kubernetes.protobuf` body into the JSON object it encodes. */
export function decodeKubernetesProtobuf(body: Buffer): Record<string, unknown> {
  if (!isKubernetesProtobuf(body)) unsupported('the protobuf body does not start with the k8s\\0 envelope');
  const unknown = decodeMessage('Unknown', body.subarray(4), '') as {
    typeMeta?: { apiVersion?: string; kind?: string };
    raw?: string;
  };
  const kind = unknown.typeMeta?.kind ?? '';
  if (!KINDS.has(kind)) unsupported(`protobuf bodies of kind ${JSON.stringify(kind)} are not supported`);
  const obj = decodeMessage(kind, Buffer.from(unknown.raw ?? '', 'base64'), '');
  return { apiVersion: unknown.typeMeta?.apiVersion, kind, ...obj };
}
