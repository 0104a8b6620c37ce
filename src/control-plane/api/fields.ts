import type { ServerResponse } from 'node:http';
import type { UntypedObject } from '../../kube/index.js';
import { schemaUnknownFields } from '../openapi/unknown-fields.js';
import type { ResourceDef } from '../registry/types.js';
import { getPath, isRecord } from '../registry/validation.js';
import { yamlUnmarshalErrors } from './body-duplicates.js';
import { unknownFields } from './lifecycle.js';
import { badRequest } from './status.js';

const COMMON = ['apiVersion', 'kind', 'metadata'];

/** Top-level fields each kind has (everything else is unknown and dropped, as typed decoding does). */
const TOP_LEVEL: Record<string, readonly string[]> = {
  ConfigMap: ['data', 'binaryData', 'immutable'],
  Secret: ['data', 'stringData', 'type', 'immutable'],
  Endpoints: ['subsets'],
  ServiceAccount: ['secrets', 'imagePullSecrets', 'automountServiceAccountToken'],
  Event: [
    'involvedObject',
    'reason',
    'message',
    'source',
    'firstTimestamp',
    'lastTimestamp',
    'count',
    'type',
    'eventTime',
    'series',
    'action',
    'related',
    'reportingComponent',
    'reportingInstance',
  ],
  Lease: ['spec'],
  ControllerRevision: ['data', 'revision'],
  EndpointSlice: ['addressType', 'endpoints', 'ports'],
  Role: ['rules'],
  StorageClass: [
    'provisioner',
    'parameters',
    'reclaimPolicy',
    'mountOptions',
    'allowVolumeExpansion',
    'volumeBindingMode',
    'allowedTopologies',
  ],
  ClusterRole: ['rules', 'aggregationRule'],
  RoleBinding: ['subjects', 'roleRef'],
  ClusterRoleBinding: ['subjects', 'roleRef'],
};

function allowedFields(def: ResourceDef): string[] {
  return [...COMMON, ...(TOP_LEVEL[def.kind] ?? ['spec', 'status'])];
}

/** Every field of a core/v1 Container (Kubernetes 1.32); typos here are the common mistake. */
const CONTAINER_FIELDS = new Set([
  'name',
  'image',
  'command',
  'args',
  'workingDir',
  'ports',
  'envFrom',
  'env',
  'resources',
  'resizePolicy',
  'restartPolicy',
  'volumeMounts',
  'volumeDevices',
  'livenessProbe',
  'readinessProbe',
  'startupProbe',
  'lifecycle',
  'terminationMessagePath',
  'terminationMessagePolicy',
  'imagePullPolicy',
  'securityContext',
  'stdin',
  'stdinOnce',
  'tty',
]);

interface UnknownField {
  readonly path: string;
  readonly drop: () => void;
}

/**
 * Unknown fields of `obj` (a copy the drops act on): top-level and metadata by the lists here, and
 * below the top level by upstream's schema for the kind (openapi/unknown-fields.ts); container
 * fields by CONTAINER_FIELDS for a kind with no shipped schema.
 */
function findUnknown(def: ResourceDef, obj: UntypedObject): UnknownField[] {
  // Custom resources: pruning (in their defaults) drops what their schema does not declare;
  // metadata is ObjectMeta as for every kind.
  if (def.unknownFields) {
    const meta = unknownFields(def, obj, Object.keys(obj)).map((f) => f.slice(1));
    return [
      ...def.unknownFields(obj).map((path) => ({ path, drop: () => {} })),
      ...meta.map((path) => ({
        path,
        drop: () => {
          if (isRecord(obj.metadata)) delete obj.metadata[path.slice('metadata.'.length)];
        },
      })),
    ];
  }
  const found: UnknownField[] = unknownFields(def, obj, allowedFields(def)).map((f) => {
    const parts = f.slice(1).split('.');
    return {
      path: f.slice(1),
      drop: () => {
        if (parts.length === 1) delete obj[parts[0]!];
        else if (parts[0] === 'metadata' && isRecord(obj.metadata)) delete obj.metadata[parts[1]!];
      },
    };
  });
  const nested = schemaUnknownFields(def.group, def.version, def.kind, obj);
  if (nested) return [...found, ...nested];
  const podSpecs: Array<[string, unknown]> = [
    ['spec', def.kind === 'Pod' ? obj.spec : undefined],
    ['spec.template.spec', getPath(obj, ['spec', 'template', 'spec'])],
  ];
  for (const [at, spec] of podSpecs) {
    if (!isRecord(spec)) continue;
    for (const list of ['containers', 'initContainers']) {
      const items = spec[list];
      if (!Array.isArray(items)) continue;
      items.forEach((c, i) => {
        if (!isRecord(c)) return;
        for (const key of Object.keys(c)) {
          if (!CONTAINER_FIELDS.has(key))
            found.push({ path: `${at}.${list}[${i}].${key}`, drop: () => delete c[key] });
        }
      });
    }
  }
  return found;
}

/** What {@link checkFields} reports besides unknown fields, and how a Strict failure reads. */
export interface FieldCheckOptions {
  /**
   * `obj` is a create or update body: the Strict message names the kind and version, as
   * upstream's decoder does. @default false
   */
  readonly decoding?: boolean;
  /** Paths of keys the body's JSON repeats (the last value is kept, as upstream). @default none */
  readonly duplicates?: readonly string[];
  /** go-yaml's lines for keys a YAML body repeats (`line 5: key "x" already set in map`). @default none */
  readonly yamlDuplicates?: readonly string[];
  /** Problems of a patch body itself, worded, reported before the result's. @default none */
  readonly patchProblems?: readonly string[];
  /** The error a Strict failure throws, given `strict decoding error: ...`. @default 400 BadRequest */
  readonly strictError?: (detail: string) => Error;
}

/**
 * Applies `fieldValidation` (Strict → an error listing every problem; Warn (default) → a
 * `Warning` header per problem; Ignore) to every field the kind does not declare and to the
 * options' repeated keys and patch problems, and drops the unknown fields as typed decoding in
 * kube-apiserver does.
 */
export function checkFields(
  def: ResourceDef,
  obj: UntypedObject,
  mode: string | null,
  res: ServerResponse,
  options: FieldCheckOptions = {},
): UntypedObject {
  const { duplicates = [], yamlDuplicates = [], patchProblems = [] } = options;
  const unknown = findUnknown(def, obj);
  if (
    unknown.length === 0 &&
    duplicates.length === 0 &&
    yamlDuplicates.length === 0 &&
    patchProblems.length === 0
  )
    return obj;
  const fieldProblems = [
    ...unknown.map((f) => `unknown field "${f.path}"`),
    ...duplicates.map((path) => `duplicate field "${path}"`),
  ];
  const m = mode ?? 'Warn';
  if (m === 'Strict') {
    // go-yaml's repeated keys are one error of the decoder, its lines joined.
    const yaml = yamlDuplicates.length ? [yamlUnmarshalErrors(yamlDuplicates)] : [];
    const detail = `strict decoding error: ${[...patchProblems, ...yaml, ...fieldProblems].join(', ')}`;
    if (options.strictError) throw options.strictError(detail);
    // A create or update body fails as kube-apiserver's decoder words it.
    const context = options.decoding
      ? `${def.kind} in version "${def.version}" cannot be handled as a ${def.kind}: `
      : '';
    throw badRequest(`${context}${detail}`);
  }
  if (m === 'Warn') {
    const prior = res.getHeader('Warning');
    const kept = Array.isArray(prior) ? prior : [];
    res.setHeader('Warning', [
      ...kept,
      ...boundedWarnings([...patchProblems, ...yamlDuplicates, ...fieldProblems]),
    ]);
  } else if (m !== 'Ignore') {
    throw badRequest(`fieldValidation "${m}" is not supported: use Strict, Warn or Ignore`);
  }
  if (unknown.length === 0) return obj;
  const copy = structuredClone(obj);
  for (const f of findUnknown(def, copy)) f.drop();
  return copy;
}

/** Total bytes of Warning headers per response, as kube-apiserver's warning recorder caps them. */
const MAX_WARNING_BYTES = 4096;

function boundedWarnings(texts: readonly string[]): string[] {
  const out: string[] = [];
  let total = 0;
  for (const text of texts) {
    const header = warningHeader(text.length > 256 ? `${text.slice(0, 253)}...` : text);
    total += header.length;
    if (total > MAX_WARNING_BYTES) {
      out.push(warningHeader(`${texts.length - out.length} more unknown fields not listed`));
      break;
    }
    out.push(header);
  }
  return out;
}

const ESCAPES: Record<string, string> = {
  '"': '\\"',
  '\\': '\\\\',
  '\x07': '\\a',
  '\b': '\\b',
  '\f': '\\f',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '\v': '\\v',
};

/**
 * A `Warning` header value: `299 - ` and the text quoted like Go's strconv.QuoteToASCII (quotes,
 * backslashes, control and non-ASCII characters escaped as `\uXXXX`). kube-apiserver writes UTF-8
 * with strconv.Quote, but Node refuses header characters above U+00FF (an unknown field named in
 * another script answered 500, issue #19, finding 6) and writes the rest in the body's encoding;
 * client-go unquotes both forms to the same text.
 */
export function warningHeader(text: string): string {
  let quoted = '';
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    if (ESCAPES[ch]) quoted += ESCAPES[ch];
    else if (code < 0x20 || code === 0x7f) quoted += `\\x${code.toString(16).padStart(2, '0')}`;
    else if (code < 0x7f) quoted += ch;
    else if (code >= 0xd800 && code <= 0xdfff) quoted += '\\ufffd';
    else if (code <= 0xffff) quoted += `\\u${code.toString(16).padStart(4, '0')}`;
    else quoted += `\\U${code.toString(16).padStart(8, '0')}`;
  }
  return `299 - "${quoted}"`;
}
