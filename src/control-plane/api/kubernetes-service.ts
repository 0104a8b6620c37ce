import { findResource } from '../registry/index.js';
import { isRecord } from '../registry/validation.js';
import type { ApiServerEndpoint } from './apiserver-leases.js';
import { firstServiceIp } from './cluster-ips.js';
import type { ApiContext } from './context.js';
import { ApiError } from './status.js';
import { createObject, updateObject } from './write.js';

const NAMESPACE = 'default';
const NAME = 'kubernetes';
/** As kube-apiserver labels its Service and Endpoints. */
const LABELS = { component: 'apiserver', provider: 'kubernetes' };

/** The `kubernetes` Service's spec, as kube-apiserver builds it. Pure. */
export function buildKubernetesServiceSpec(ctx: ApiContext, endpoint: ApiServerEndpoint) {
  const ip = firstServiceIp(ctx.serviceRange);
  return {
    type: 'ClusterIP',
    clusterIP: ip,
    clusterIPs: [ip],
    sessionAffinity: 'None',
    ports: [{ name: 'https', protocol: 'TCP', port: 443, targetPort: endpoint.port }],
  };
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** The port fields the controller owns, in a fixed order (stored key order may differ). */
function portShape(ports: unknown): unknown {
  return Array.isArray(ports)
    ? ports.filter(isRecord).map((p) => [p.name, p.protocol, p.port, p.targetPort])
    : undefined;
}

function ignoreRaces(err: unknown): void {
  // Another API server instance (or a client) wrote it first: the next pass looks again.
  if (err instanceof ApiError && (err.reason === 'AlreadyExists' || err.reason === 'Conflict')) return;
  throw err;
}

/**
 * The Service half of kube-apiserver's kubernetes-service controller: creates the `kubernetes`
 * Service in `default` (the first address of the service range, port 443 → the API server's port)
 * and puts back ports someone changed. Idempotent; a deleted Service is recreated by the next pass.
 * Its Endpoints are written by the lease loop (kubernetes-service-loop.ts).
 */
export async function reconcileKubernetesService(
  ctx: ApiContext,
  endpoint: ApiServerEndpoint,
): Promise<void> {
  const svcDef = findResource('', 'v1', 'services')!;
  const spec = buildKubernetesServiceSpec(ctx, endpoint);
  const svc = await ctx.resources.get(svcDef, NAMESPACE, NAME);
  if (!svc) {
    await createObject(ctx, svcDef, NAMESPACE, {
      metadata: { name: NAME, labels: LABELS },
      spec,
    }).catch(ignoreRaces);
  } else if (!same(portShape(isRecord(svc.spec) ? svc.spec.ports : undefined), portShape(spec.ports))) {
    // kube-apiserver rewrites the ports and type and leaves the address (it is immutable).
    await updateObject(ctx, svcDef, NAMESPACE, NAME, undefined, (cur) => ({
      ...cur,
      spec: { ...(isRecord(cur.spec) ? cur.spec : {}), type: 'ClusterIP', ports: spec.ports },
    })).catch(ignoreRaces);
  }
}
