import { isNotFound } from '../client/api-error.js';
import type { KubeClient } from '../client/client.js';
import { resources } from '../client/types.js';
import type { Lease } from '../kube/index.js';

/** Kubernetes MicroTime: RFC 3339 with microseconds. */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/**
 * Renews the node's Lease in kube-node-lease (creating it the first time), the heartbeat the
 * node lifecycle controller watches. A conflict means someone else wrote it: the next renewal
 * reads it afresh.
 */
export async function renewNodeLease(
  client: KubeClient,
  node: { name: string; uid?: string },
  durationSeconds: number,
  nowMs: number,
): Promise<Lease> {
  const namespace = 'kube-node-lease';
  const renewTime = microTime(nowMs);
  try {
    const lease = await client.get<Lease>(resources.leases, node.name, namespace);
    return await client.update<Lease>(resources.leases, {
      ...lease,
      spec: { ...lease.spec, holderIdentity: node.name, leaseDurationSeconds: durationSeconds, renewTime },
    });
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  return client.create<Lease>(resources.leases, {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: {
      name: node.name,
      namespace,
      ...(node.uid
        ? { ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: node.name, uid: node.uid }] }
        : {}),
    },
    spec: {
      holderIdentity: node.name,
      leaseDurationSeconds: durationSeconds,
      acquireTime: renewTime,
      renewTime,
    },
  });
}
