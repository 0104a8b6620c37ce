import type { IncomingMessage, ServerResponse } from 'node:http';
import { reportedVersion } from '../../version.js';
import { renderOpenApiV2 } from '../openapi/v2.js';
import { buildOpenApiV3Root, renderOpenApiV3 } from '../openapi/v3.js';
import type { ResourceCatalog } from '../registry/catalog.js';
import type { StoreReadiness } from '../store/types.js';
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
import { ApiError } from './status.js';

/** What non-resource paths need to know: the reported minor and readiness. */
export interface NonResourceOptions {
  readonly minor: string;
  readonly ready: boolean;
  /** What discovery and OpenAPI list. */
  readonly catalog: ResourceCatalog;
  /** The store's own check (etcd's quorum), asked for `/readyz` only. @default none */
  readonly storeReadiness?: StoreReadiness;
}

/**
 * `/readyz` as kube-apiserver answers it: `ok`, or with `?verbose` (and always on failure, with
 * HTTP 500) one `[+]name ok` / `[-]name failed: reason` line per check and `readyz check
 * passed|failed`. Upstream withholds failure reasons from the body; here the store's reason is
 * shown (which etcd members are down, the recovery), since it is what an operator needs and names
 * nothing secret. Pure.
 */
export function renderReadyz(
  ready: boolean,
  store: StoreReadiness | undefined,
  verbose: boolean,
): { code: number; text: string } {
  if (!ready) return { code: 503, text: 'not ready: bootstrapping' };
  const ok = store?.ok ?? true;
  if (ok && !verbose) return { code: 200, text: 'ok' };
  const lines = ['[+]ping ok'];
  if (store)
    lines.push(
      store.ok ? `[+]${store.name} ok: ${store.detail}` : `[-]${store.name} failed: ${store.detail}`,
    );
  lines.push(ok ? 'readyz check passed' : 'readyz check failed');
  return { code: ok ? 200 : 500, text: `${lines.join('\n')}\n` };
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
  | { code: number; bytes: Buffer; contentType: string }
  | { code: number; headers: Record<string, string>; body?: string };

/** Content type of the protobuf OpenAPI v2 document (kubectl 1.29–1.33 fetch it for a second `apply`). */
const OPENAPI_V2_PROTOBUF = 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf';

/**
 * `/openapi/v2`: every served kind's definitions, in gnostic protobuf when asked (client-go's
 * OpenAPISchema: kubectl's `apply` patches and `explain --output=plaintext-openapiv2`), JSON otherwise.
 */
function openApiV2(accept: string | undefined, catalog: ResourceCatalog, version: string): Answer {
  const doc = renderOpenApiV2(catalog, version);
  if ((accept ?? '').includes('protobuf'))
    return { code: 200, bytes: doc.protobuf(), contentType: OPENAPI_V2_PROTOBUF };
  return {
    code: 200,
    headers: { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private' },
    body: doc.json,
  };
}

/**
 * One group/version's OpenAPI v3 document, cached as kube-openapi's handler3 does: with `?hash=`
 * equal to the document's hash it is immutable; a stale hash is redirected (301) to the current
 * URL; the ETag is the hash, so `If-None-Match` with it answers 304.
 */
function openApiV3(
  req: IncomingMessage,
  catalog: ResourceCatalog,
  parts: string[],
  version: string,
): Answer | undefined {
  const rest = parts.slice(2);
  const gv =
    rest[0] === 'api' && rest.length === 2
      ? { group: '', version: rest[1]! }
      : rest[0] === 'apis' && rest.length === 3
        ? { group: rest[1]!, version: rest[2]! }
        : undefined;
  const doc = gv && renderOpenApiV3(catalog, gv.group, gv.version, version);
  if (!doc) return undefined;
  const url = new URL(req.url ?? '/', 'https://localhost');
  const hash = url.searchParams.get('hash');
  const etag = `"${doc.hash}"`;
  if (hash && hash !== doc.hash) {
    url.searchParams.set('hash', doc.hash);
    return {
      code: 301,
      headers: { Location: `${url.pathname}${url.search}`, 'Cache-Control': 'no-cache, private' },
    };
  }
  const headers = {
    ETag: etag,
    'Cache-Control': hash ? 'public, immutable' : 'no-cache, private',
    'Content-Type': 'application/json',
  };
  if (req.headers['if-none-match'] === etag) return { code: 304, headers };
  return { code: 200, headers, body: doc.body };
}

function send(res: ServerResponse, answer: Answer): void {
  if ('headers' in answer) {
    const length =
      answer.body === undefined ? {} : { 'Content-Length': String(Buffer.byteLength(answer.body)) };
    res.writeHead(answer.code, { ...answer.headers, ...length });
    res.end(answer.body);
  } else if ('bytes' in answer) {
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
  if (path === '/readyz') {
    const verbose = new URL(req.url ?? '/', 'http://x').searchParams.has('verbose');
    return renderReadyz(options.ready, options.storeReadiness, verbose);
  }
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
  if (path === '/openapi/v2') return openApiV2(accept, options.catalog, version);
  if (path === '/openapi/v3') return { code: 200, json: buildOpenApiV3Root(options.catalog, version) };
  if (parts[0] === 'openapi' && parts[1] === 'v3') {
    const answer = openApiV3(req, options.catalog, parts, version);
    if (answer) return answer;
  }
  throw new ApiError(
    404,
    'NotFound',
    `the server could not find the requested resource (${req.method} ${path})`,
  );
}
