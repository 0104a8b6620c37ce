import type { IncomingMessage, ServerResponse } from 'node:http';
import type { KubeClient } from '../client/client.js';
import { cordonNode } from '../drain/cordon.js';
import { deletePod, restartDeployment, reviewAllAccess, scaleDeployment } from './actions.js';
import { runExec } from './exec.js';
import { NAME, readJson, relay, status } from './http-answers.js';
import { rollbackDeployment } from './rollback.js';

type Body = Readonly<Record<string, unknown>>;

const isName = (v: unknown): v is string => typeof v === 'string' && NAME.test(v);

/** One action: what it needs in the body (checked before anything is sent) and what it does. */
interface ActionRoute {
  readonly namespaced: boolean;
  /** An error message for a bad body, or undefined. */
  readonly check?: (body: Body) => string | undefined;
  readonly run: (client: KubeClient, body: Body & { namespace: string; name: string }) => Promise<unknown>;
}

const ROUTES: Readonly<Record<string, ActionRoute>> = {
  '/api/scale': {
    namespaced: true,
    check: ({ replicas: r }) =>
      typeof r === 'number' && Number.isInteger(r) && r >= 0 && r <= 10_000
        ? undefined
        : `replicas (${String(r)}) must be a whole number from 0 to 10000`,
    run: async (c, b) => ({ replicas: await scaleDeployment(c, b.namespace, b.name, b.replicas as number) }),
  },
  '/api/restart': {
    namespaced: true,
    run: async (c, b) => {
      await restartDeployment(c, b.namespace, b.name, new Date());
      return { restarted: b.name };
    },
  },
  '/api/rollback': {
    namespaced: true,
    run: (c, b) => rollbackDeployment(c, b.namespace, b.name),
  },
  '/api/delete-pod': {
    namespaced: true,
    run: async (c, b) => {
      await deletePod(c, b.namespace, b.name);
      return { deleted: b.name };
    },
  },
  '/api/exec': {
    namespaced: true,
    check: ({ command, container }) =>
      Array.isArray(command) &&
      command.length > 0 &&
      command.length <= 64 &&
      command.every((a) => typeof a === 'string' && a.length <= 4096)
        ? container === undefined || isName(container)
          ? undefined
          : 'container must be a Kubernetes name'
        : 'command must be a list of 1 to 64 arguments',
    run: (c, b) =>
      runExec(c, {
        namespace: b.namespace,
        pod: b.name,
        command: b.command as string[],
        ...(typeof b.container === 'string' ? { container: b.container } : {}),
      }),
  },
  '/api/cordon': {
    namespaced: false,
    check: ({ unschedulable }) =>
      typeof unschedulable === 'boolean'
        ? undefined
        : 'unschedulable must be true (cordon) or false (uncordon)',
    run: async (c, b) => {
      await cordonNode(c, b.name, b.unschedulable as boolean);
      return { unschedulable: b.unschedulable };
    },
  },
};

/**
 * The API routes of the page other than streams: the server's version, what the user may do, and
 * the actions (POST, JSON only, names checked before anything reaches the API server). Returns
 * false for a path it does not serve.
 */
export async function handleApiRoute(
  client: KubeClient,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
): Promise<boolean> {
  if (req.method === 'GET' && url.pathname === '/api/version') {
    await relay(res, () => client.transport.json({ method: 'GET', path: '/version' }));
    return true;
  }
  if (req.method === 'GET' && url.pathname === '/api/access') {
    const namespace = url.searchParams.get('namespace') ?? '';
    if (!NAME.test(namespace)) status(res, 400, 'BadRequest', 'namespace must be a Kubernetes name');
    else await relay(res, () => reviewAllAccess(client, namespace));
    return true;
  }
  const route = ROUTES[url.pathname];
  if (req.method !== 'POST' || !route) return false;
  if (!/^application\/json\b/.test(String(req.headers['content-type'] ?? ''))) {
    status(res, 415, 'UnsupportedMediaType', 'send the request as application/json');
    return true;
  }
  let body: Body;
  try {
    body = ((await readJson(req)) ?? {}) as Body;
  } catch (err) {
    status(res, 400, 'BadRequest', (err as Error).message);
    return true;
  }
  const { namespace, name } = body;
  if (!isName(name) || (route.namespaced && !isName(namespace))) {
    status(
      res,
      400,
      'BadRequest',
      route.namespaced ? 'namespace and name must be Kubernetes names' : 'name must be a Kubernetes name',
    );
    return true;
  }
  const invalid = route.check?.(body);
  if (invalid) {
    status(res, 422, 'Invalid', invalid);
    return true;
  }
  await relay(res, () => route.run(client, { ...body, namespace: String(namespace ?? ''), name }));
  return true;
}
