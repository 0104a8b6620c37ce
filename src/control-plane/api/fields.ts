import type { ServerResponse } from 'node:http';
import type { KubeObject, ResourceDef } from '../registry/types.js';
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

/**
 * Applies `fieldValidation` (Strict → 400 listing the unknown fields; Warn (default) → a
 * `Warning` header per field; Ignore) and drops unknown top-level and metadata fields.
 */
export function checkFields(
  def: ResourceDef,
  obj: KubeObject,
  mode: string | null,
  res: ServerResponse,
): KubeObject {
  const unknown = unknownFields(def, obj, allowedFields(def));
  if (unknown.length === 0) return obj;
  const m = mode ?? 'Warn';
  if (m === 'Strict') {
    throw badRequest(
      `strict decoding error: ${unknown.map((f) => `unknown field "${f.slice(1)}"`).join(', ')}`,
    );
  }
  if (m === 'Warn') {
    res.setHeader(
      'Warning',
      unknown.map((f) => `299 - "unknown field \\"${f.slice(1)}\\""`),
    );
  } else if (m !== 'Ignore') {
    throw badRequest(`fieldValidation "${m}" is not supported: use Strict, Warn or Ignore`);
  }
  const copy: KubeObject = { ...obj };
  for (const f of unknown) {
    const parts = f.slice(1).split('.');
    if (parts.length === 1) delete copy[parts[0]!];
    else if (parts[0] === 'metadata' && copy.metadata) {
      copy.metadata = { ...copy.metadata };
      delete copy.metadata[parts[1]!];
    }
  }
  return copy;
}
