import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CloudActions } from './cloud-relay.js';
import { readJson, relay, status } from './http-answers.js';

/** An auto-scaling group name as tugboat names them (spec group names). */
const GROUP = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/**
 * `POST /api/eip-assign` `{group?}`: assigns free pool EIPs as `tugboat eip assign` does, with the
 * user's AWS credentials, then has the AWS side read again so every page sees the addresses.
 * 404 when the dashboard has no AWS side; JSON only; a bad group is 422 before AWS is asked.
 */
export async function handleCloudAction(
  actions: CloudActions | undefined,
  refresh: () => void,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  if (!actions)
    return status(res, 404, 'NotFound', 'this dashboard has no AWS side: start it with a cluster NAME');
  if (!/^application\/json\b/.test(String(req.headers['content-type'] ?? '')))
    return status(res, 415, 'UnsupportedMediaType', 'send the request as application/json');
  let body: Record<string, unknown>;
  try {
    body = ((await readJson(req)) ?? {}) as Record<string, unknown>;
  } catch (err) {
    return status(res, 400, 'BadRequest', (err as Error).message);
  }
  const { group } = body;
  if (group !== undefined && (typeof group !== 'string' || !GROUP.test(group)))
    return status(res, 422, 'Invalid', `group (${String(group)}) must be a group name of the cluster`);
  await relay(res, async () => {
    try {
      return await actions.assignEips(group);
    } finally {
      refresh();
    }
  });
}
