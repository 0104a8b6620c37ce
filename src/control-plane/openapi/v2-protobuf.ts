import protobuf from 'protobufjs/light.js';

/**
 * Encodes a Swagger 2.0 document (as JSON) in gnostic's `openapi.v2.Document` protobuf, which
 * client-go's `OpenAPISchema` asks for (`application/com.github.proto-openapi.spec.v2@v1.0+protobuf`)
 * and kubectl reads for `apply`'s patches and `explain --output=plaintext-openapiv2`. Only the parts
 * a Kubernetes document uses: info, paths with their operations, definitions. Values without a
 * protobuf field (defaults, enums, examples, `x-` extensions) travel as gnostic's `Any` with YAML
 * text, which JSON is; keywords Swagger 2.0 has no place for (`nullable`, `oneOf`, `anyOf`) are left
 * out, as kube-openapi does when it publishes v2.
 *
 * The wire format is protobufjs's `Writer` (already our etcd client's codec): `fork()`/`ldelim()`
 * length-prefix nested messages without copying each level into its parent. No `.proto` schema is
 * loaded; field numbers are gnostic's (openapiv2/OpenAPIv2.proto).
 */

type Json = Record<string, unknown>;
type Writer = protobuf.Writer;

const VARINT = 0;
const FIXED64 = 1;
const LENGTH_DELIMITED = 2;

function tag(w: Writer, field: number, wireType: number): Writer {
  return w.uint32((field << 3) | wireType);
}

/** A nested message: `body` writes its fields. */
function message(w: Writer, field: number, body: (w: Writer) => void): void {
  tag(w, field, LENGTH_DELIMITED).fork();
  body(w);
  w.ldelim();
}

/** A string field; absent and empty strings are left out (proto3's default). */
function string(w: Writer, field: number, value: unknown): void {
  if (typeof value === 'string' && value !== '') tag(w, field, LENGTH_DELIMITED).string(value);
}

/** A repeated string field: every string element, empty ones included. */
function strings(w: Writer, field: number, values: unknown): void {
  if (Array.isArray(values))
    for (const v of values) if (typeof v === 'string') tag(w, field, LENGTH_DELIMITED).string(v);
}

function bool(w: Writer, field: number, value: unknown): void {
  if (value === true) tag(w, field, VARINT).bool(true);
}

/** An int64 field; gnostic's lengths and counts, so only positive whole numbers are written. */
function int(w: Writer, field: number, value: unknown): void {
  if (typeof value === 'number' && Number.isInteger(value) && value > 0) tag(w, field, VARINT).int64(value);
}

function double(w: Writer, field: number, value: unknown): void {
  if (typeof value === 'number') tag(w, field, FIXED64).double(value);
}

/** gnostic `Any` (field 2: YAML text, which JSON is). */
function any(w: Writer, field: number, value: unknown): void {
  message(w, field, (a) => string(a, 2, JSON.stringify(value)));
}

/** gnostic `NamedAny` entries for every `x-` key of `obj`. */
function extensions(w: Writer, field: number, obj: Json): void {
  for (const [name, value] of Object.entries(obj))
    if (name.startsWith('x-'))
      message(w, field, (n) => {
        string(n, 1, name);
        any(n, 2, value);
      });
}

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A gnostic `Named*` map entry: name (1) and value (2). */
function named(w: Writer, field: number, name: string, value: (w: Writer) => void): void {
  message(w, field, (n) => {
    string(n, 1, name);
    message(n, 2, value);
  });
}

/** gnostic `Schema`. */
function schema(w: Writer, s: Json): void {
  string(w, 1, s.$ref);
  string(w, 2, s.format);
  string(w, 3, s.title);
  string(w, 4, s.description);
  if (s.default !== undefined) any(w, 5, s.default);
  double(w, 6, s.multipleOf);
  double(w, 7, s.maximum);
  bool(w, 8, s.exclusiveMaximum);
  double(w, 9, s.minimum);
  bool(w, 10, s.exclusiveMinimum);
  int(w, 11, s.maxLength);
  int(w, 12, s.minLength);
  string(w, 13, s.pattern);
  int(w, 14, s.maxItems);
  int(w, 15, s.minItems);
  bool(w, 16, s.uniqueItems);
  int(w, 17, s.maxProperties);
  int(w, 18, s.minProperties);
  strings(w, 19, s.required);
  if (Array.isArray(s.enum)) for (const v of s.enum) any(w, 20, v);
  const extra = s.additionalProperties;
  // AdditionalPropertiesItem: a schema (1) or a boolean (2).
  if (isObject(extra)) message(w, 21, (a) => message(a, 1, (sub) => schema(sub, extra)));
  else if (typeof extra === 'boolean') message(w, 21, (a) => tag(a, 2, VARINT).bool(extra));
  if (s.type !== undefined) message(w, 22, (t) => strings(t, 1, [s.type].flat()));
  const items = Array.isArray(s.items) ? s.items : isObject(s.items) ? [s.items] : [];
  if (items.length)
    message(w, 23, (list) => {
      for (const item of items) if (isObject(item)) message(list, 1, (sub) => schema(sub, item));
    });
  if (Array.isArray(s.allOf))
    for (const sub of s.allOf) if (isObject(sub)) message(w, 24, (m) => schema(m, sub));
  const properties = s.properties;
  if (isObject(properties))
    message(w, 25, (props) => {
      for (const [name, sub] of Object.entries(properties))
        if (isObject(sub)) named(props, 1, name, (m) => schema(m, sub));
    });
  string(w, 26, s.discriminator);
  bool(w, 27, s.readOnly);
  if (s.example !== undefined) any(w, 30, s.example);
  extensions(w, 31, s);
}

const PATH_ITEM_FIELDS: Record<string, number> = { get: 2, put: 3, post: 4, delete: 5, patch: 8 };

/** gnostic `Operation`. */
function operation(w: Writer, op: Json): void {
  string(w, 5, op.operationId);
  strings(w, 6, op.produces);
  strings(w, 7, op.consumes);
  const responses = op.responses;
  if (isObject(responses))
    message(w, 9, (rs) => {
      for (const [code, r] of Object.entries(responses)) {
        if (!isObject(r)) continue;
        // NamedResponseValue → ResponseValue (1: Response) → description (1), schema item (2).
        named(rs, 1, code, (value) =>
          message(value, 1, (response) => {
            string(response, 1, r.description);
            const body = r.schema;
            if (isObject(body)) message(response, 2, (item) => message(item, 1, (m) => schema(m, body)));
          }),
        );
      }
    });
  extensions(w, 13, op);
}

/** gnostic `Document` for a Swagger 2.0 document. */
export function encodeOpenApiV2(doc: Json): Buffer {
  const info = isObject(doc.info) ? doc.info : {};
  const w = protobuf.Writer.create();
  string(w, 1, doc.swagger);
  message(w, 2, (i) => {
    string(i, 1, info.title);
    string(i, 2, info.version);
  });
  const paths = doc.paths;
  if (isObject(paths))
    message(w, 8, (ps) => {
      for (const [path, item] of Object.entries(paths)) {
        if (!isObject(item)) continue;
        named(ps, 2, path, (pathItem) => {
          for (const [verb, field] of Object.entries(PATH_ITEM_FIELDS)) {
            const op = item[verb];
            if (isObject(op)) message(pathItem, field, (o) => operation(o, op));
          }
        });
      }
    });
  const definitions = doc.definitions;
  if (isObject(definitions))
    message(w, 9, (defs) => {
      for (const [name, s] of Object.entries(definitions))
        if (isObject(s)) named(defs, 1, name, (m) => schema(m, s));
    });
  const bytes = w.finish();
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
