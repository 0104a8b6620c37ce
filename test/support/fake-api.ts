import { randomUUID } from 'node:crypto';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import jsonpatch, { type Operation } from 'fast-json-patch';

/**
 * An honest in-memory stand-in for the Kubernetes API server, for unit and agent tests until
 * the real one is on main. Behaviour it implements (and tests may rely on):
 * - objects keyed by group/resource/namespace/name; a global resourceVersion counter;
 * - GET object, LIST with labelSelector (=, ==, !=, exists, !exists) and fieldSelector (dotted equality);
 * - WATCH from a resourceVersion, replaying history, one JSON event per `\n`-terminated line;
 *   a version older than `compact()` gives HTTP 410 Gone;
 * - POST (409 AlreadyExists, generateName, uid, creationTimestamp), PUT (409 on resourceVersion conflict),
 *   PATCH merge / strategic (treated as merge) / json, `status` subresource (only status changes);
 * - DELETE: a pod bound to a node with a grace period > 0 gets deletionTimestamp (the node agent
 *   finishes the delete with gracePeriodSeconds=0); everything else is removed at once.
 */
export interface FakeApi {
  readonly url: string;
  /** Direct access to stored objects by `group/resource/namespace/name` (namespace '' for cluster scope). */
  readonly objects: Map<string, Record<string, unknown>>;
  /** Every request as `METHOD path`, for assertions. */
  readonly requests: string[];
  get(resource: string, namespace: string, name: string, group?: string): Record<string, unknown> | undefined;
  /** Forget watch history up to now: watches from older versions get 410. */
  compact(): void;
  /** Ends every open watch stream (as a server restart would). */
  dropWatches(): void;
  /** Ends every open watch stream with an ERROR event of code 410 (as a lagging watch cache does). */
  expireWatches(): void;
  close(): Promise<void>;
}

// biome-ignore lint/suspicious/noExplicitAny: the fake stores arbitrary JSON objects and reads deep fields
type Obj = Record<string, any>;
interface Change {
  rv: number;
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  key: string;
  object: Obj;
}

export async function startFakeApi(): Promise<FakeApi> {
  const objects = new Map<string, Obj>();
  const history: Change[] = [];
  const requests: string[] = [];
  const watchers = new Set<{ prefix: string; match: (o: Obj) => boolean; res: ServerResponse }>();
  let rv = 100;
  let compactedAt = 0;

  const record = (type: Change['type'], key: string, object: Obj) => {
    const change = { rv, type, key, object: structuredClone(object) };
    history.push(change);
    for (const w of watchers) {
      if (key.startsWith(w.prefix) && w.match(object)) w.res.write(`${JSON.stringify({ type, object })}\n`);
    }
  };

  const server = http.createServer(async (req, res) => {
    const body = await readBody(req);
    requests.push(`${req.method} ${req.url}`);
    try {
      handle(req, res, body);
    } catch (err) {
      send(res, 500, status(500, 'InternalError', String(err)));
    }
  });

  function handle(req: IncomingMessage, res: ServerResponse, body: string) {
    const url = new URL(req.url ?? '/', 'http://x');
    const segs = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    let group: string;
    let version: string;
    let rest: string[];
    if (segs[0] === 'api') [group, version, rest] = ['', segs[1] ?? '', segs.slice(2)];
    else if (segs[0] === 'apis') [group, version, rest] = [segs[1] ?? '', segs[2] ?? '', segs.slice(3)];
    else return send(res, 404, status(404, 'NotFound', `no route ${url.pathname}`));
    let namespace = '';
    if (rest[0] === 'namespaces' && rest.length >= 3) {
      namespace = rest[1] ?? '';
      rest = rest.slice(2);
    }
    const [resource = '', name, sub] = rest;
    const prefix = `${group}/${resource}/`;
    const key = `${prefix}${namespace}/${name}`;
    const q = url.searchParams;
    const method = req.method ?? 'GET';
    const kind = kindOf(resource);
    const apiVersion = group ? `${group}/${version}` : version;

    if (!name) {
      const match = selectorMatcher(q.get('labelSelector'), q.get('fieldSelector'), namespace);
      if (method === 'GET' && q.get('watch'))
        return watch(res, prefix, match, Number(q.get('resourceVersion') || rv));
      if (method === 'GET') {
        const items = [...objects.entries()]
          .filter(([k, o]) => k.startsWith(prefix) && match(o))
          .map(([, o]) => o);
        return send(res, 200, {
          apiVersion,
          kind: `${kind}List`,
          metadata: { resourceVersion: String(rv) },
          items,
        });
      }
      if (method === 'POST') {
        const obj = JSON.parse(body) as Obj;
        obj.metadata ??= {};
        if (!obj.metadata.name && obj.metadata.generateName) {
          obj.metadata.name = obj.metadata.generateName + randomUUID().slice(0, 5);
        }
        if (namespace) obj.metadata.namespace = namespace;
        const k = `${prefix}${namespace}/${obj.metadata.name}`;
        if (objects.has(k))
          return send(
            res,
            409,
            status(409, 'AlreadyExists', `${resource} "${obj.metadata.name}" already exists`),
          );
        rv++;
        Object.assign(obj.metadata, {
          uid: randomUUID(),
          resourceVersion: String(rv),
          creationTimestamp: new Date().toISOString(),
        });
        obj.apiVersion ??= apiVersion;
        obj.kind ??= kind;
        objects.set(k, obj);
        record('ADDED', k, obj);
        return send(res, 201, obj);
      }
    }
    const current = objects.get(key);
    if (!current) return send(res, 404, status(404, 'NotFound', `${resource} "${name}" not found`));
    if (method === 'GET') return send(res, 200, current);
    if (method === 'PUT' || method === 'PATCH') {
      let next: Obj;
      if (method === 'PUT') {
        next = JSON.parse(body) as Obj;
        const want = next.metadata?.resourceVersion;
        if (want && want !== current.metadata.resourceVersion) {
          return send(
            res,
            409,
            status(
              409,
              'Conflict',
              `the object has been modified; please apply your changes to the latest version`,
            ),
          );
        }
      } else {
        const type = req.headers['content-type'] ?? '';
        const patch = JSON.parse(body);
        next = type.includes('json-patch')
          ? (jsonpatch.applyPatch(structuredClone(current), patch as Operation[]).newDocument as Obj)
          : mergePatch(structuredClone(current), patch);
      }
      if (sub === 'status') next = { ...structuredClone(current), status: next.status };
      else if (sub) return send(res, 404, status(404, 'NotFound', `no subresource ${sub}`));
      rv++;
      next.metadata = { ...next.metadata, uid: current.metadata.uid, resourceVersion: String(rv) };
      objects.set(key, next);
      record('MODIFIED', key, next);
      return send(res, 200, next);
    }
    if (method === 'DELETE') {
      const opts = body ? (JSON.parse(body) as Obj) : {};
      const grace = Number(
        q.get('gracePeriodSeconds') ??
          opts.gracePeriodSeconds ??
          current.spec?.terminationGracePeriodSeconds ??
          30,
      );
      if (opts.preconditions?.uid && opts.preconditions.uid !== current.metadata.uid) {
        return send(res, 409, status(409, 'Conflict', 'uid precondition failed'));
      }
      if (resource === 'pods' && current.spec?.nodeName && grace > 0) {
        if (!current.metadata.deletionTimestamp) {
          rv++;
          Object.assign(current.metadata, {
            deletionTimestamp: new Date(Date.now() + grace * 1000).toISOString(),
            deletionGracePeriodSeconds: grace,
            resourceVersion: String(rv),
          });
          record('MODIFIED', key, current);
        }
        return send(res, 200, current);
      }
      rv++;
      objects.delete(key);
      current.metadata.resourceVersion = String(rv);
      record('DELETED', key, current);
      return send(res, 200, current);
    }
    return send(res, 405, status(405, 'MethodNotAllowed', `${method} not allowed`));
  }

  function watch(res: ServerResponse, prefix: string, match: (o: Obj) => boolean, from: number) {
    if (from < compactedAt)
      return send(res, 410, status(410, 'Expired', `too old resource version: ${from} (${compactedAt})`));
    res.writeHead(200, { 'content-type': 'application/json' });
    for (const c of history) {
      if (c.rv > from && c.key.startsWith(prefix) && match(c.object)) {
        res.write(`${JSON.stringify({ type: c.type, object: c.object })}\n`);
      }
    }
    const w = { prefix, match, res };
    watchers.add(w);
    res.on('close', () => watchers.delete(w));
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    objects,
    requests,
    get: (resource, namespace, name, group = '') => objects.get(`${group}/${resource}/${namespace}/${name}`),
    compact() {
      compactedAt = rv;
      history.length = 0;
    },
    dropWatches() {
      for (const w of watchers) w.res.end();
      watchers.clear();
    },
    expireWatches() {
      for (const w of watchers) {
        w.res.end(
          `${JSON.stringify({ type: 'ERROR', object: status(410, 'Expired', 'too old resource version') })}\n`,
        );
      }
      watchers.clear();
    },
    async close() {
      for (const w of watchers) w.res.end();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function kindOf(resource: string): string {
  const special: Record<string, string> = {
    configmaps: 'ConfigMap',
    endpoints: 'Endpoints',
    replicasets: 'ReplicaSet',
    daemonsets: 'DaemonSet',
    statefulsets: 'StatefulSet',
    replicationcontrollers: 'ReplicationController',
    controllerrevisions: 'ControllerRevision',
    persistentvolumeclaims: 'PersistentVolumeClaim',
    persistentvolumes: 'PersistentVolume',
    storageclasses: 'StorageClass',
    resourcequotas: 'ResourceQuota',
    limitranges: 'LimitRange',
    poddisruptionbudgets: 'PodDisruptionBudget',
  };
  const s = special[resource] ?? resource.replace(/s$/, '');
  return s.charAt(0).toUpperCase() + s.slice(1);
}

function mergePatch(target: Obj, patch: unknown): Obj {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return patch as Obj;
  const out: Obj = target && typeof target === 'object' && !Array.isArray(target) ? target : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

function pathValue(o: Obj, path: string): unknown {
  return path
    .split('.')
    .reduce<unknown>((acc, p) => (acc && typeof acc === 'object' ? (acc as Obj)[p] : undefined), o);
}

function selectorMatcher(
  labels: string | null,
  fields: string | null,
  namespace: string,
): (o: Obj) => boolean {
  const tests: ((o: Obj) => boolean)[] = [];
  if (namespace) tests.push((o) => o.metadata?.namespace === namespace);
  for (const term of (labels ?? '').split(',').filter(Boolean)) {
    const m = /^(!?)([^=!]+)(?:(==|=|!=)(.*))?$/.exec(term.trim());
    if (!m) continue;
    const [, not, k = '', op, v] = m;
    tests.push((o) => {
      const actual = o.metadata?.labels?.[k];
      if (!op) return not ? actual === undefined : actual !== undefined;
      return op === '!=' ? actual !== v : actual === v;
    });
  }
  for (const term of (fields ?? '').split(',').filter(Boolean)) {
    const [k = '', v = ''] = term.split(/!?=+/);
    const negate = term.includes('!=');
    tests.push((o) => (String(pathValue(o, k) ?? '') === v) !== negate);
  }
  return (o) => tests.every((t) => t(o));
}

function status(code: number, reason: string, message: string) {
  return { apiVersion: 'v1', kind: 'Status', status: 'Failure', code, reason, message };
}

function send(res: ServerResponse, code: number, body: unknown) {
  res.writeHead(code, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let s = '';
    req.on('data', (c) => {
      s += c;
    });
    req.on('end', () => resolve(s));
  });
}
