import { KINDS, POINTER_FIELDS, S } from './protobuf-schemas.js';
import { ApiError, badRequest } from './status.js';

/**
 * Decodes the Kubernetes protobuf envelope (`k8s\0` + runtime.Unknown) for the objects kubectl ≥
 * 1.32 sends from its `create` generators (namespace, configmap, secret, serviceaccount, service,
 * deployment, job, cronjob, poddisruptionbudget, autoscaling/v1 horizontalpodautoscaler from `kubectl autoscale`) and `kubectl drain`'s Evictions. Field numbers are those of k8s.io/api's generated.proto (checked against the
 * struct tags in kubectl 1.32). Decoding is strict: a non-zero field outside this table answers 415
 * instead of being dropped silently; `status` is ignored (create resets it anyway) except for CSRs, whose
 * approval kubectl sends as a whole object.
 */

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
    case 'fieldsV1': {
      const json = Buffer.from(
        (decodeMessage('FieldsV1', raw, path) as { raw?: string }).raw ?? '',
        'base64',
      );
      try {
        return json.length === 0 ? {} : JSON.parse(json.toString('utf8'));
      } catch {
        throw badRequest(`${path}: Invalid value: fieldsV1 is not JSON`);
      }
    }
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
  // A kind whose versions differ on the wire has its table under `apiVersion/kind`.
  const versioned = `${unknown.typeMeta?.apiVersion ?? ''}/${kind}`;
  const schema = KINDS.has(versioned) ? versioned : kind;
  if (!KINDS.has(schema)) unsupported(`protobuf bodies of kind ${JSON.stringify(kind)} are not supported`);
  const obj = decodeMessage(schema, Buffer.from(unknown.raw ?? '', 'base64'), '');
  return { apiVersion: unknown.typeMeta?.apiVersion, kind, ...obj };
}
