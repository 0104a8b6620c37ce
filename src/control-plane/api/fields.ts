import type { ServerResponse } from 'node:http';
import type { UntypedObject } from '../../kube/index.js';
import type { ResourceDef } from '../registry/types.js';
import { getPath, isRecord } from '../registry/validation.js';
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

/** Unknown top-level, metadata and container fields of `obj` (a copy the drops act on). */
function findUnknown(def: ResourceDef, obj: UntypedObject): UnknownField[] {
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

/**
 * Applies `fieldValidation` (Strict → 400 listing the unknown fields; Warn (default) → a
 * `Warning` header per field; Ignore) to top-level, metadata and container fields, and drops the
 * unknown ones as typed decoding in kube-apiserver does.
 */
export function checkFields(
  def: ResourceDef,
  obj: UntypedObject,
  mode: string | null,
  res: ServerResponse,
): UntypedObject {
  const unknown = findUnknown(def, obj);
  if (unknown.length === 0) return obj;
  const m = mode ?? 'Warn';
  if (m === 'Strict') {
    throw badRequest(`strict decoding error: ${unknown.map((f) => `unknown field "${f.path}"`).join(', ')}`);
  }
  if (m === 'Warn') {
    res.setHeader(
      'Warning',
      unknown.map((f) => `299 - "unknown field \\"${f.path}\\""`),
    );
  } else if (m !== 'Ignore') {
    throw badRequest(`fieldValidation "${m}" is not supported: use Strict, Warn or Ignore`);
  }
  const copy = structuredClone(obj);
  for (const f of findUnknown(def, copy)) f.drop();
  return copy;
}
