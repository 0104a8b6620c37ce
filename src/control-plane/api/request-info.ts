import type { Verb } from '../../kube/index.js';
import type { ResourceCatalog } from '../registry/catalog.js';
import type { ResourceDef } from '../registry/types.js';
import { ApiError } from './status.js';

export type { Verb };

/** What a resource request is about, parsed from method and path (after kube-apiserver's RequestInfo). */
export interface ResourceRequest {
  readonly kind: 'resource';
  readonly verb: Verb;
  readonly def: ResourceDef;
  readonly namespace: string | undefined;
  readonly name: string | undefined;
  readonly subresource: string | undefined;
  readonly query: URLSearchParams;
}

/** A request outside the resource tree: discovery, version, health, openapi. */
export interface NonResourceRequest {
  readonly kind: 'nonresource';
  readonly path: string;
  readonly query: URLSearchParams;
}

/** A parsed request: a resource request or a non-resource path. */
export type RequestInfo = ResourceRequest | NonResourceRequest;

/** Subresources of a namespace object, which otherwise would read as resource names. */
const NAMESPACE_SUBRESOURCES = new Set(['status', 'finalize']);

function isWatchQuery(query: URLSearchParams): boolean {
  const w = query.get('watch');
  return w === 'true' || w === '1';
}

/**
 * Parses `/api/v1/...` and `/apis/{group}/{version}/...` into a ResourceRequest, or returns a
 * NonResourceRequest for anything else. Unknown resources are a 404 NotFound Status.
 */
export function parseRequest(catalog: ResourceCatalog, method: string, rawUrl: string): RequestInfo {
  let url: URL;
  try {
    url = new URL(rawUrl, 'http://localhost');
  } catch {
    throw new ApiError(
      400,
      'BadRequest',
      `the request target ${JSON.stringify(rawUrl.slice(0, 200))} is not a valid path`,
    );
  }
  const query = url.searchParams;
  let segments: string[];
  try {
    segments = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
  } catch {
    throw new ApiError(
      400,
      'BadRequest',
      `the path ${url.pathname.slice(0, 200)} is not validly percent-encoded`,
    );
  }
  let group: string;
  let version: string;
  let rest: string[];
  if (segments[0] === 'api' && segments.length >= 3) {
    group = '';
    version = segments[1]!;
    rest = segments.slice(2);
  } else if (segments[0] === 'apis' && segments.length >= 4) {
    group = segments[1]!;
    version = segments[2]!;
    rest = segments.slice(3);
  } else {
    return { kind: 'nonresource', path: url.pathname, query };
  }
  let watchPath = false;
  if (rest[0] === 'watch') {
    watchPath = true;
    rest = rest.slice(1);
  }
  let namespace: string | undefined;
  if (rest[0] === 'namespaces' && rest.length > 1) {
    namespace = rest[1];
    if (rest.length > 2 && !NAMESPACE_SUBRESOURCES.has(rest[2]!)) rest = rest.slice(2);
    else namespace = undefined;
  }
  const [plural, name, subresource, ...extra] = rest;
  const def = plural ? catalog.find(group, version, plural) : undefined;
  if (!def || extra.length > 0) {
    throw new ApiError(
      404,
      'NotFound',
      `the server could not find the requested resource (${method} ${url.pathname})`,
    );
  }
  if (!def.namespaced && namespace !== undefined && def.plural !== 'namespaces') {
    throw new ApiError(
      404,
      'NotFound',
      `${def.plural} is not namespaced: use ${url.pathname.replace(/\/namespaces\/[^/]+/, '')}`,
    );
  }
  if (subresource && !(def.subresources as readonly string[]).includes(subresource)) {
    throw new ApiError(404, 'NotFound', `${def.plural} has no subresource "${subresource}"`);
  }
  const verb = verbOf(method, name, watchPath || isWatchQuery(query));
  return { kind: 'resource', verb, def, namespace, name, subresource, query };
}

function verbOf(method: string, name: string | undefined, watch: boolean): Verb {
  switch (method) {
    case 'GET':
    case 'HEAD':
      if (watch) return 'watch';
      return name ? 'get' : 'list';
    case 'POST':
      return 'create';
    case 'PUT':
      return 'update';
    case 'PATCH':
      return 'patch';
    case 'DELETE':
      return name ? 'delete' : 'deletecollection';
    default:
      throw new ApiError(
        405,
        'MethodNotAllowed',
        `method ${method} is not supported: use GET, POST, PUT, PATCH or DELETE`,
      );
  }
}
