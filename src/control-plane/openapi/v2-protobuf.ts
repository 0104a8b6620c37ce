/**
 * Encodes a Swagger 2.0 document (as JSON) in gnostic's `openapi.v2.Document` protobuf, which
 * client-go's `OpenAPISchema` asks for (`application/com.github.proto-openapi.spec.v2@v1.0+protobuf`)
 * and kubectl reads for `apply`'s patches and `explain --output=plaintext-openapiv2`. Only the parts
 * a Kubernetes document uses: info, paths with their operations, definitions. Values without a
 * protobuf field (defaults, enums, examples, `x-` extensions) travel as gnostic's `Any` with YAML
 * text, which JSON is; keywords Swagger 2.0 has no place for (`nullable`, `oneOf`, `anyOf`) are left
 * out, as kube-openapi does when it publishes v2.
 */

type Json = Record<string, unknown>;

function varint(n: number): number[] {
  const out: number[] = [];
  let v = n;
  while (v > 0x7f) {
    out.push((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return out;
}

/**
 * Writes fields in order; `bytes()` gives the message. Nested messages stay objects until then, so
 * the whole document is sized first and written once into one buffer (concatenating each level
 * into its parent would copy the bytes once per nesting level).
 */
class Message {
  private readonly parts: Array<Buffer | { readonly header: number; readonly child: Message }> = [];
  private length = -1;

  size(): number {
    if (this.length < 0) {
      this.length = 0;
      for (const p of this.parts) {
        if (Buffer.isBuffer(p)) this.length += p.length;
        else {
          const n = p.child.size();
          this.length += varint(p.header).length + varint(n).length + n;
        }
      }
    }
    return this.length;
  }

  bytes(): Buffer {
    const out = Buffer.allocUnsafe(this.size());
    const end = this.writeTo(out, 0);
    return out.subarray(0, end);
  }

  private writeTo(out: Buffer, start: number): number {
    let at = start;
    for (const p of this.parts) {
      if (Buffer.isBuffer(p)) at += p.copy(out, at);
      else {
        for (const byte of [...varint(p.header), ...varint(p.child.size())]) out[at++] = byte;
        at = p.child.writeTo(out, at);
      }
    }
    return at;
  }

  message(field: number, body: Buffer | Message): this {
    if (Buffer.isBuffer(body))
      this.parts.push(Buffer.from([...varint((field << 3) | 2), ...varint(body.length)]), body);
    else this.parts.push({ header: (field << 3) | 2, child: body });
    return this;
  }

  string(field: number, value: unknown): this {
    if (typeof value === 'string' && value !== '') this.message(field, Buffer.from(value, 'utf8'));
    return this;
  }

  strings(field: number, values: unknown): this {
    if (Array.isArray(values))
      for (const v of values) if (typeof v === 'string') this.message(field, Buffer.from(v));
    return this;
  }

  bool(field: number, value: unknown): this {
    if (value === true) this.parts.push(Buffer.from([...varint(field << 3), 1]));
    return this;
  }

  int(field: number, value: unknown): this {
    if (typeof value === 'number' && Number.isInteger(value) && value > 0)
      this.parts.push(Buffer.from([...varint(field << 3), ...varint(value)]));
    return this;
  }

  double(field: number, value: unknown): this {
    if (typeof value !== 'number') return this;
    const b = Buffer.alloc(8);
    b.writeDoubleLE(value);
    this.parts.push(Buffer.from(varint((field << 3) | 1)), b);
    return this;
  }

  /** gnostic `Any` (field 2: YAML text). */
  any(field: number, value: unknown): this {
    return this.message(field, new Message().string(2, JSON.stringify(value)));
  }

  /** gnostic `NamedAny` entries for every `x-` key of `obj`. */
  extensions(field: number, obj: Json): this {
    for (const [name, value] of Object.entries(obj)) {
      if (name.startsWith('x-')) this.message(field, new Message().string(1, name).any(2, value));
    }
    return this;
  }
}

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** gnostic `Schema`. */
function encodeSchema(s: Json): Message {
  const m = new Message().string(1, s.$ref).string(2, s.format).string(3, s.title).string(4, s.description);
  if (s.default !== undefined) m.any(5, s.default);
  m.double(6, s.multipleOf).double(7, s.maximum).bool(8, s.exclusiveMaximum).double(9, s.minimum);
  m.bool(10, s.exclusiveMinimum).int(11, s.maxLength).int(12, s.minLength).string(13, s.pattern);
  m.int(14, s.maxItems).int(15, s.minItems).bool(16, s.uniqueItems).int(17, s.maxProperties);
  m.int(18, s.minProperties).strings(19, s.required);
  if (Array.isArray(s.enum)) for (const v of s.enum) m.any(20, v);
  if (isObject(s.additionalProperties))
    m.message(21, new Message().message(1, encodeSchema(s.additionalProperties)));
  else if (typeof s.additionalProperties === 'boolean')
    m.message(21, Buffer.from([0x10, s.additionalProperties ? 1 : 0]));
  if (s.type !== undefined) m.message(22, new Message().strings(1, [s.type].flat()));
  const items = Array.isArray(s.items) ? s.items : isObject(s.items) ? [s.items] : [];
  if (items.length) {
    const list = new Message();
    for (const item of items) if (isObject(item)) list.message(1, encodeSchema(item));
    m.message(23, list);
  }
  if (Array.isArray(s.allOf)) for (const sub of s.allOf) if (isObject(sub)) m.message(24, encodeSchema(sub));
  if (isObject(s.properties)) {
    const props = new Message();
    for (const [name, sub] of Object.entries(s.properties))
      if (isObject(sub)) props.message(1, new Message().string(1, name).message(2, encodeSchema(sub)));
    m.message(25, props);
  }
  m.string(26, s.discriminator).bool(27, s.readOnly);
  if (s.example !== undefined) m.any(30, s.example);
  return m.extensions(31, s);
}

const PATH_ITEM_FIELDS: Record<string, number> = { get: 2, put: 3, post: 4, delete: 5, patch: 8 };

function encodeOperation(op: Json): Message {
  const m = new Message().string(5, op.operationId).strings(6, op.produces).strings(7, op.consumes);
  if (isObject(op.responses)) {
    const responses = new Message();
    for (const [code, r] of Object.entries(op.responses)) {
      if (!isObject(r)) continue;
      const response = new Message().string(1, r.description);
      if (isObject(r.schema)) response.message(2, new Message().message(1, encodeSchema(r.schema)));
      const value = new Message().message(1, response);
      responses.message(1, new Message().string(1, code).message(2, value));
    }
    m.message(9, responses);
  }
  return m.extensions(13, op);
}

/** gnostic `Document` for a Swagger 2.0 document. */
export function encodeOpenApiV2(doc: Json): Buffer {
  const info = isObject(doc.info) ? doc.info : {};
  const m = new Message()
    .string(1, doc.swagger)
    .message(2, new Message().string(1, info.title).string(2, info.version));
  if (isObject(doc.paths)) {
    const paths = new Message();
    for (const [path, item] of Object.entries(doc.paths)) {
      if (!isObject(item)) continue;
      const pathItem = new Message();
      for (const [verb, field] of Object.entries(PATH_ITEM_FIELDS))
        if (isObject(item[verb])) pathItem.message(field, encodeOperation(item[verb]));
      paths.message(2, new Message().string(1, path).message(2, pathItem));
    }
    m.message(8, paths);
  }
  if (isObject(doc.definitions)) {
    const defs = new Message();
    for (const [name, schema] of Object.entries(doc.definitions))
      if (isObject(schema)) defs.message(1, new Message().string(1, name).message(2, encodeSchema(schema)));
    m.message(9, defs);
  }
  return m.bytes();
}
