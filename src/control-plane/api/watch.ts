import type { IncomingMessage, ServerResponse } from 'node:http';
import type { UntypedObject } from '../../kube/index.js';
import { apiVersionOf } from '../registry/types.js';
import { StoreError, type WatchEvent } from '../store/types.js';
import type { ApiContext } from './context.js';
import { jsonAs, listPrefix, objectJson, servedAs, sharedObject } from './objects.js';
import { listObjects } from './read.js';
import type { ResourceRequest } from './request-info.js';
import { type Matcher, parseFieldSelector, parseLabelSelector } from './selectors.js';
import { ApiError, badRequest } from './status.js';
import { buildTable, type ResponseShape } from './table.js';

type EventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

function parseResourceVersion(text: string | null): number | undefined {
  if (text === null || text === '' || text === '0') return undefined;
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 0)
    throw badRequest(
      `resourceVersion "${text}" is not valid: use a resourceVersion from a previous response`,
    );
  return n;
}

/** A watch event for one client: the object (read-only, shared) and its JSON text. */
export interface OutgoingEvent {
  readonly type: EventType;
  readonly object: UntypedObject;
  readonly json: string;
}

/** Maps one store change to the watch event a client with this selector should see, if any. */
export function toWatchEvent(event: WatchEvent, matches: Matcher): OutgoingEvent | undefined {
  if (event.type === 'delete') {
    if (!event.prev) return undefined;
    const obj = sharedObject(event.prev, event.kv.modRevision);
    return matches(obj)
      ? { type: 'DELETED', object: obj, json: objectJson(event.prev, event.kv.modRevision) }
      : undefined;
  }
  const obj = sharedObject(event.kv);
  const was = event.prev ? matches(sharedObject(event.prev)) : false;
  const is = matches(obj);
  if (is) return { type: was ? 'MODIFIED' : 'ADDED', object: obj, json: objectJson(event.kv) };
  if (was) return { type: 'DELETED', object: obj, json: objectJson(event.kv) };
  return undefined;
}

/**
 * Serves a watch: newline-delimited JSON events strictly after `resourceVersion` (initial ADDED
 * events when it is 0 or unset), ERROR 410 Expired when the start is compacted, BOOKMARKs when
 * allowed, ending after `timeoutSeconds`. A name in the path watches just that object.
 */
export async function serveWatch(
  ctx: ApiContext,
  req: ResourceRequest,
  httpReq: IncomingMessage,
  res: ServerResponse,
  shape: ResponseShape,
): Promise<void> {
  const def = req.def;
  const labels = parseLabelSelector(req.query.get('labelSelector'));
  const fields = parseFieldSelector(req.query.get('fieldSelector'), def);
  const name = req.name;
  const matches: Matcher = (obj) => labels(obj) && fields(obj) && (!name || obj.metadata?.name === name);
  const rv = parseResourceVersion(req.query.get('resourceVersion'));
  const sendInitial = req.query.get('sendInitialEvents') === 'true' || rv === undefined;
  const bookmarks = req.query.get('allowWatchBookmarks') === 'true';
  const asked = Number(req.query.get('timeoutSeconds') ?? '0');
  const min = ctx.minWatchTimeoutSeconds;
  const timeoutSeconds = Number.isFinite(asked) && asked > 0 ? asked : min * (1 + Math.random());
  const includeObject = req.query.get('includeObject');

  let initial: UntypedObject[] = [];
  let start: number;
  if (sendInitial) {
    const listed = await listObjects(ctx, { ...req, query: new URLSearchParams() });
    initial = listed.items.filter(matches);
    start = Number(listed.metadata.resourceVersion) + 1;
  } else start = (rv ?? 0) + 1;

  res.writeHead(200, {
    'Content-Type': 'application/json',
    'Cache-Control': 'no-cache, private',
    'Transfer-Encoding': 'chunked',
  });
  res.flushHeaders();
  let firstTable = true;
  let lastRv = start - 1;
  let closed = false;
  const write = (type: EventType, object: unknown, json?: string) => {
    if (closed) return;
    if (shape.table && (type === 'ADDED' || type === 'MODIFIED' || type === 'DELETED')) {
      const table = buildTable(
        def,
        [servedAs(def, object as UntypedObject)],
        {},
        includeObject,
        shape,
        ctx.now(),
      );
      if (!firstTable) table.columnDefinitions = [];
      firstTable = false;
      res.write(`${JSON.stringify({ type, object: table })}\n`);
    } else {
      res.write(`{"type":"${type}","object":${jsonAs(def, json ?? JSON.stringify(object))}}\n`);
    }
  };
  for (const obj of initial) write('ADDED', obj);
  const bookmark = (annotations?: Record<string, string>) =>
    write('BOOKMARK', {
      kind: def.kind,
      apiVersion: apiVersionOf(def),
      metadata: { resourceVersion: String(lastRv), ...(annotations ? { annotations } : {}) },
    });
  if (bookmarks && req.query.get('sendInitialEvents') === 'true')
    bookmark({ 'k8s.io/initial-events-end': 'true' });

  const finish = () => {
    if (closed) return;
    closed = true;
    ctx.watches.delete(finish);
    clearInterval(bookmarkTimer);
    clearTimeout(timeoutTimer);
    void watch.then((w) => w.cancel()).catch(() => {});
    res.end();
  };
  const watch = ctx.resources.store.watch(
    listPrefix(def, def.namespaced ? req.namespace : undefined),
    { prefix: true, startRevision: start },
    {
      onEvents(events) {
        for (const e of events) {
          lastRv = Math.max(lastRv, e.kv.modRevision);
          const out = toWatchEvent(e, matches);
          if (out) write(out.type, out.object, out.json);
        }
      },
      onError(err: StoreError) {
        const error =
          err.reason === 'Compacted'
            ? new ApiError(
                410,
                'Expired',
                `too old resource version: ${start - 1} (${(err.compactRevision ?? start) - 1})`,
              )
            : new ApiError(500, 'InternalError', `watch failed: ${err.message}`);
        ctx.events.emit({
          code: err.reason === 'Compacted' ? 'api.watch.expired' : 'api.watch.failed',
          level: err.reason === 'Compacted' ? 'debug' : 'warn',
          message: error.message,
          data: { resource: def.plural, namespace: req.namespace, resourceVersion: start - 1 },
        });
        write('ERROR', error.toStatus());
        finish();
      },
    },
  );
  const bookmarkTimer = setInterval(() => bookmarks && bookmark(), ctx.bookmarkIntervalMs);
  const timeoutTimer = setTimeout(finish, timeoutSeconds * 1000);
  ctx.watches.add(finish);
  httpReq.on('close', finish);
  res.on('close', finish);
  try {
    await watch;
  } catch (err) {
    const message = err instanceof StoreError || err instanceof Error ? err.message : String(err);
    write('ERROR', new ApiError(503, 'ServiceUnavailable', `watch failed: ${message}`).toStatus());
    finish();
  }
}
