import type { UntypedObject } from '../../kube/index.js';
import type { ResourceDef } from '../registry/types.js';
import { apiVersionOf } from '../registry/types.js';
import { getPath } from '../registry/validation.js';
import type { ApiContext } from './context.js';
import type { ResourceRequest } from './request-info.js';
import { parseFieldSelector, parseLabelSelector } from './selectors.js';
import { ApiError, badRequest } from './status.js';

interface ContinueToken {
  readonly rv: number;
  readonly start: string;
}

function encodeContinue(token: ContinueToken): string {
  return Buffer.from(JSON.stringify(token)).toString('base64url');
}

function decodeContinue(text: string): ContinueToken {
  try {
    const t = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as ContinueToken;
    if (typeof t.rv === 'number' && typeof t.start === 'string') return t;
  } catch {
    // fall through to the error below
  }
  throw badRequest(
    `continue token "${text.slice(0, 40)}" is not valid: use the token from the previous list response`,
  );
}

/** Parses a positive `limit`; 0 or absent means no limit. */
function parseLimit(text: string | null): number | undefined {
  if (!text) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0) throw badRequest(`limit "${text}" must be a non-negative integer`);
  return n === 0 ? undefined : n;
}

/**
 * `resourceVersionMatch=Exact` reads the list as of `resourceVersion` (410 once compacted); the
 * default, NotOlderThan, is satisfied by the current state.
 */
function exactRevision(query: URLSearchParams): number | undefined {
  const match = query.get('resourceVersionMatch');
  if (!match || match === 'NotOlderThan') return undefined;
  if (match !== 'Exact')
    throw badRequest(`resourceVersionMatch "${match}" is not supported: use Exact or NotOlderThan`);
  const rv = Number(query.get('resourceVersion'));
  if (!Number.isSafeInteger(rv) || rv <= 0) {
    throw badRequest('resourceVersionMatch=Exact needs a resourceVersion from a previous response');
  }
  return rv;
}

/** The items of a list (or their JSON text) with its list metadata. */
export interface ListResult {
  readonly items: UntypedObject[];
  /** JSON text of the items instead of `items`, when asked for and no selector needs the objects. */
  readonly raw?: string[];
  readonly metadata: Record<string, unknown>;
}

/**
 * Lists with label/field selectors and limit/continue. Pages after the first read at the first
 * page's revision, so a paged list is one consistent snapshot (410 Expired once compacted).
 */
export async function listObjects(
  ctx: ApiContext,
  req: ResourceRequest,
  options: { raw?: boolean } = {},
): Promise<ListResult> {
  const def = req.def;
  const labels = parseLabelSelector(req.query.get('labelSelector'));
  const fields = parseFieldSelector(req.query.get('fieldSelector'), def);
  const limit = parseLimit(req.query.get('limit'));
  const cont = req.query.get('continue');
  const token = cont ? decodeContinue(cont) : undefined;
  const namespace = def.namespaced ? req.namespace : undefined;
  let revision = token?.rv ?? exactRevision(req.query);
  let startKey = token?.start;
  const raw =
    options.raw && !req.query.get('labelSelector') && !req.query.get('fieldSelector')
      ? ([] as string[])
      : undefined;
  const items: UntypedObject[] = [];
  let nextKey: string | undefined;
  for (;;) {
    const page = await ctx.resources
      .list(def, namespace, {
        limit: limit ? Math.max(limit - (raw ?? items).length, 1) : undefined,
        startKey,
        revision,
        raw: raw !== undefined,
      })
      .catch((err: unknown) => {
        if (err instanceof ApiError && err.code === 410 && token) {
          throw new ApiError(
            410,
            'Expired',
            'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.',
          );
        }
        throw err;
      });
    revision = page.revision;
    // A loop, not push(...page.raw): spreading an unpaginated list of ~150,000 items as call
    // arguments overflows the stack (a 500 for the whole list).
    if (raw) for (const text of page.raw ?? []) raw.push(text);
    for (const obj of page.items) if (labels(obj) && fields(obj)) items.push(obj);
    nextKey = page.nextKey;
    if (!limit || !nextKey || (raw ?? items).length >= limit) break;
    startKey = nextKey;
  }
  const metadata: Record<string, unknown> = { resourceVersion: String(revision) };
  if (limit && nextKey) metadata.continue = encodeContinue({ rv: revision ?? 0, start: nextKey });
  return { items, ...(raw ? { raw } : {}), metadata };
}

/** The JSON text of a `<Kind>List` built from raw items (see {@link listObjects}). */
export function listJson(def: ResourceDef, result: ListResult): string {
  const head = `{"kind":${JSON.stringify(`${def.kind}List`)},"apiVersion":${JSON.stringify(apiVersionOf(def))},"metadata":${JSON.stringify(result.metadata)}`;
  return `${head},"items":[${(result.raw ?? result.items.map((i) => JSON.stringify(i))).join(',')}]}`;
}

/** The `<Kind>List` object for a list result. */
export function listObject(def: ResourceDef, result: ListResult): Record<string, unknown> {
  return {
    kind: `${def.kind}List`,
    apiVersion: apiVersionOf(def),
    metadata: result.metadata,
    items: result.items,
  };
}

/**
 * The autoscaling/v1 Scale view of a deployment, replica set, stateful set or replication
 * controller, or of a custom resource at the paths its CRD's scale subresource names.
 */
export function scaleOf(obj: UntypedObject, def?: ResourceDef): Record<string, unknown> {
  const spec = (obj.spec ?? {}) as Record<string, unknown>;
  const status = (obj.status ?? {}) as Record<string, unknown>;
  const selector = spec.selector as { matchLabels?: Record<string, string> } | undefined;
  // A ReplicationController's selector is a plain label map, not a LabelSelector.
  const labels =
    obj.kind === 'ReplicationController' ? (spec.selector as Record<string, string>) : selector?.matchLabels;
  const meta = obj.metadata ?? {};
  const custom = def?.customScale;
  const at = (path: readonly string[] | undefined) => (path ? getPath(obj, path) : undefined);
  const count = (v: unknown) => (typeof v === 'number' ? v : 0);
  const customSelector = at(custom?.labelSelectorPath);
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: {
      name: meta.name,
      namespace: meta.namespace,
      uid: meta.uid,
      resourceVersion: meta.resourceVersion,
      creationTimestamp: meta.creationTimestamp,
    },
    spec: { replicas: custom ? count(at(custom.specReplicasPath)) : (spec.replicas ?? 0) },
    status: custom
      ? {
          replicas: count(at(custom.statusReplicasPath)),
          ...(typeof customSelector === 'string' ? { selector: customSelector } : {}),
        }
      : {
          replicas: status.replicas ?? 0,
          selector: Object.entries(labels ?? {})
            .map(([k, v]) => `${k}=${v}`)
            .join(','),
        },
  };
}
