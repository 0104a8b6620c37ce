import type { IncomingMessage, ServerResponse } from 'node:http';
import { parseYamlLeniently, rememberYamlDuplicates } from './body-duplicates.js';
import { ApiError } from './status.js';

/** Writes a JSON body with the given status code. */
export function sendJson(
  res: ServerResponse,
  code: number,
  body: unknown,
  contentType = 'application/json',
): void {
  sendJsonText(res, code, JSON.stringify(body), contentType);
}

/** Writes already-serialized JSON. */
export function sendJsonText(
  res: ServerResponse,
  code: number,
  text: string,
  contentType = 'application/json',
): void {
  res.writeHead(code, {
    'Content-Type': contentType,
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-cache, private',
  });
  res.end(text);
}

/** Writes an ApiError as its Status object. */
export function sendError(res: ServerResponse, err: ApiError): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  sendJson(res, err.code, err.toStatus());
}

/** Limits for reading a request body. */
export interface BodyOptions {
  /** Larger bodies answer 413 RequestEntityTooLarge. */
  readonly maxBytes: number;
}

/** Reads the request body up to `maxBytes`; larger bodies fail with 413 without buffering them. */
export async function readBody(req: IncomingMessage, options: BodyOptions): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? '0');
  if (declared > options.maxBytes) {
    req.resume();
    throw tooLarge(declared, options.maxBytes);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > options.maxBytes) {
      req.resume();
      throw tooLarge(size, options.maxBytes);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function tooLarge(size: number, max: number): ApiError {
  return new ApiError(
    413,
    'RequestEntityTooLarge',
    `request body of ${size} bytes is larger than the limit of ${max} bytes: send a smaller object`,
  );
}

/** Parses a JSON object body; anything else is a 400 BadRequest that quotes the problem. */
export function parseJsonObject(body: Buffer): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw new ApiError(400, 'BadRequest', `the request body is not valid JSON: ${(err as Error).message}`);
  }
  checkDepth(value);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ApiError(
      400,
      'BadRequest',
      `the request body must be a JSON object, got ${Array.isArray(value) ? 'an array' : typeof value}`,
    );
  }
  return value as Record<string, unknown>;
}

/**
 * Checks a POST/PUT/DELETE body's Content-Type and returns it as JSON: JSON as is, YAML and the
 * protobuf kubectl's `create` generators send converted; anything else answers 415.
 */
export async function normalizeBody(contentType: string | undefined, body: Buffer): Promise<Buffer> {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (body.length === 0 || type === '' || type === 'application/json' || type === '*/*') return body;
  if (type === 'application/yaml' || type === 'application/x-yaml') {
    try {
      // Repeated keys are kept for fieldValidation to report (handlers.ts), as upstream's decoder.
      const { value, duplicates } = await parseYamlLeniently(body.toString('utf8'));
      return rememberYamlDuplicates(Buffer.from(JSON.stringify(value)), duplicates);
    } catch (err) {
      throw new ApiError(
        400,
        'BadRequest',
        `the request body is not valid YAML: ${(err as Error).message.split('\n')[0]}`,
      );
    }
  }
  if (type === 'application/vnd.kubernetes.protobuf') {
    const { decodeKubernetesProtobuf } = await import('./protobuf.js');
    return Buffer.from(JSON.stringify(decodeKubernetesProtobuf(body)));
  }
  throw new ApiError(
    415,
    'UnsupportedMediaType',
    `the body of the request was in an unknown format (${type}): send application/json or application/yaml`,
  );
}

/** Deepest nesting accepted in a body; deeper JSON would overflow recursive encoders. */
export const MAX_JSON_DEPTH = 100;

/** Rejects JSON nested deeper than {@link MAX_JSON_DEPTH} with 400 (checked without recursion). */
export function checkDepth(value: unknown): void {
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    if (depth > MAX_JSON_DEPTH) {
      throw new ApiError(
        400,
        'BadRequest',
        `the request body is nested deeper than ${MAX_JSON_DEPTH} levels: flatten the object`,
      );
    }
    for (const child of Array.isArray(v) ? v : Object.values(v)) stack.push([child, depth + 1]);
  }
}

/**
 * The parameters of each media range of an Accept header, in order: kubectl asks for tables
 * and aggregated discovery through them (`application/json;as=Table;v=v1;g=meta.k8s.io`).
 */
export function acceptParams(accept: string | undefined): Map<string, string>[] {
  return (accept ?? '').split(',').map(
    (part) =>
      new Map(
        part
          .split(';')
          .slice(1)
          .map((p) => p.trim().split('=') as [string, string]),
      ),
  );
}
