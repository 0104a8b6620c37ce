import type { IncomingMessage, ServerResponse } from 'node:http';
import { reportedVersion } from '../../version.js';
import type { ResourceCatalog } from '../registry/catalog.js';
import {
  aggregatedContentType,
  buildAggregatedDiscovery,
  buildApiGroup,
  buildApiGroupList,
  buildApiVersions,
  buildResourceList,
  wantsAggregated,
} from './discovery.js';
import { sendJson } from './http.js';
import { buildOpenApiV3, buildOpenApiV3Root } from './openapi.js';
import { ApiError } from './status.js';

/** What non-resource paths need to know: the reported minor and readiness. */
export interface NonResourceOptions {
  readonly minor: string;
  readonly ready: boolean;
  /** What discovery and OpenAPI list. */
  readonly catalog: ResourceCatalog;
}

/** The `/version` body; `minor` is what kubectl's dispatcher picks its binary by. */
export function buildVersion(minor: string): Record<string, unknown> {
  return {
    major: '1',
    minor,
    gitVersion: reportedVersion(minor),
    gitCommit: '0000000000000000000000000000000000000000',
    gitTreeState: 'clean',
    buildDate: '2026-01-01T00:00:00Z',
    goVersion: 'go1.23.0',
    compiler: 'gc',
    platform: `${process.platform}/${process.arch === 'x64' ? 'amd64' : process.arch}`,
  };
}

type Answer =
  | { code: number; json: unknown; contentType?: string }
  | { code: number; text: string }
  | { code: number; bytes: Buffer; contentType: string };

/** Content type of the protobuf OpenAPI v2 document that kubectl ≤ 1.29 downloads before `apply`. */
const OPENAPI_V2_PROTOBUF = 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf';

/**
 * An OpenAPI v2 document with no definitions: protobuf `{swagger: "2.0"}` (field 1, string) or
 * JSON. kubectl then finds no client-side schema and leaves validation to the server, which
 * it detects through /openapi/v3 (fieldValidation on every PATCH operation).
 */
function openApiV2(accept: string | undefined, version: string): Answer {
  if ((accept ?? '').includes('protobuf')) {
    return {
      code: 200,
      bytes: Buffer.from([0x0a, 0x03, 0x32, 0x2e, 0x30]),
      contentType: OPENAPI_V2_PROTOBUF,
    };
  }
  return {
    code: 200,
    json: { swagger: '2.0', info: { title: 'Kubernetes', version }, paths: {}, definitions: {} },
  };
}

function send(res: ServerResponse, answer: Answer): void {
  if ('bytes' in answer) {
    res.writeHead(answer.code, { 'Content-Type': answer.contentType, 'Content-Length': answer.bytes.length });
    res.end(answer.bytes);
  } else if ('text' in answer) {
    res.writeHead(answer.code, {
      'Content-Type': 'text/plain; charset=utf-8',
      'Content-Length': Buffer.byteLength(answer.text),
    });
    res.end(answer.text);
  } else sendJson(res, answer.code, answer.json, answer.contentType);
}

/** Serves version, health, discovery and OpenAPI paths; 404 Status for anything else. */
export function serveNonResource(
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  options: NonResourceOptions,
): void {
  if (path === '/api' || path === '/apis') res.setHeader('Vary', 'Accept');
  send(res, route(req, path, options));
}

function route(req: IncomingMessage, path: string, options: NonResourceOptions): Answer {
  const parts = path.split('/').filter(Boolean);
  const accept = req.headers.accept;
  const version = `v1.${options.minor}.0`;
  if (path === '/version') return { code: 200, json: buildVersion(options.minor) };
  if (path === '/healthz' || path === '/livez') return { code: 200, text: 'ok' };
  if (path === '/readyz')
    return options.ready ? { code: 200, text: 'ok' } : { code: 503, text: 'not ready: bootstrapping' };
  if (path === '/api' || path === '/apis') {
    const aggregated = wantsAggregated(accept);
    if (aggregated) {
      return {
        code: 200,
        json: buildAggregatedDiscovery(options.catalog, path === '/api', aggregated),
        contentType: aggregatedContentType(aggregated),
      };
    }
    return { code: 200, json: path === '/api' ? buildApiVersions() : buildApiGroupList(options.catalog) };
  }
  if (parts[0] === 'api' && parts.length === 2) {
    const list = buildResourceList(options.catalog, '', parts[1]!);
    if (list) return { code: 200, json: list };
  }
  if (parts[0] === 'apis' && parts.length === 2) {
    const group = buildApiGroup(options.catalog, parts[1]!);
    if (group) return { code: 200, json: group };
  }
  if (parts[0] === 'apis' && parts.length === 3) {
    const list = buildResourceList(options.catalog, parts[1]!, parts[2]!);
    if (list) return { code: 200, json: list };
  }
  if (path === '/openapi/v2') return openApiV2(accept, version);
  if (path === '/openapi/v3') return { code: 200, json: buildOpenApiV3Root(options.catalog, version) };
  if (parts[0] === 'openapi' && parts[1] === 'v3') {
    const rest = parts.slice(2);
    const doc =
      rest[0] === 'api' && rest.length === 2
        ? buildOpenApiV3(options.catalog, '', rest[1]!, version)
        : rest[0] === 'apis' && rest.length === 3
          ? buildOpenApiV3(options.catalog, rest[1]!, rest[2]!, version)
          : undefined;
    if (doc) return { code: 200, json: doc };
  }
  throw new ApiError(
    404,
    'NotFound',
    `the server could not find the requested resource (${req.method} ${path})`,
  );
}
