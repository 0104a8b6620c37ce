import type { IncomingMessage, ServerResponse } from 'node:http';
import type { UntypedObject } from '../../kube/index.js';
import type { ApiContext } from './context.js';
import { agentEndpoint, type NodeProxyOptions, relayAgentGet } from './node-proxy.js';
import type { ResourceRequest } from './request-info.js';
import { ApiError } from './status.js';

/**
 * GET `nodes/{name}/proxy/{path}`: relays the request to the node's agent (as kube-apiserver does
 * to the kubelet) and streams its answer back, status and content type included. The caller needs
 * `get` on `nodes/proxy`; the agent itself only lets the API server's client certificate in.
 * Other methods answer 405: the agent serves nothing but reads through this path.
 */
export async function proxyNodePath(
  ctx: ApiContext,
  info: ResourceRequest,
  req: IncomingMessage,
  res: ServerResponse,
  options: NodeProxyOptions | undefined,
): Promise<void> {
  if (info.verb !== 'get')
    throw new ApiError(405, 'MethodNotAllowed', 'nodes/proxy supports GET only on tugboat agents');
  const node = (await ctx.resources.mustGet(info.def, undefined, info.name ?? '')) as UntypedObject;
  const query = info.query.toString();
  const path = `${info.proxyPath ?? '/'}${query ? `?${query}` : ''}`;
  await relayAgentGet(options, agentEndpoint(node, options), path, req, res, `node ${info.name}`);
}
