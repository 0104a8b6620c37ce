import type { BootstrapHosts } from '../bootstrap/bootstrap-hosts.js';
import { isNotFound } from '../client/api-error.js';
import type { KubeClient } from '../client/client.js';
import { resources } from '../client/types.js';
import type { Node } from '../kube/index.js';
import { tugboatVersionOf } from '../version.js';
import type { HostVersion } from './plan.js';

/** The control plane's tugboat version, from `/version`'s gitVersion (`v1.32.0+tugboat-0.2.0`). */
export async function readControlPlaneVersion(client: KubeClient): Promise<string | undefined> {
  const v = await client.transport.json<{ gitVersion?: string }>({ method: 'GET', path: '/version' });
  return tugboatVersionOf(v.gitVersion);
}

/** A Node's tugboat version (its `nodeInfo.kubeletVersion`), undefined when absent or not tugboat's. */
export function nodeVersion(node: Node | undefined): string | undefined {
  return tugboatVersionOf(node?.status?.nodeInfo?.kubeletVersion);
}

/** True when the Node's Ready condition is True. */
export function isNodeReady(node: Node | undefined): boolean {
  return (node?.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}

/** The Node named `name`, or undefined when there is none. */
export async function getNode(client: KubeClient, name: string): Promise<Node | undefined> {
  try {
    return await client.get<Node>(resources.nodes, name);
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/**
 * What every host of the inventory runs, as the cluster reports it: the master by the API server's
 * `/version`, each worker by its Node. Nothing is recorded locally, so a re-run after Ctrl-C (or
 * from another machine) sees where the roll got to.
 */
export async function readHostVersions(
  client: KubeClient,
  inventory: BootstrapHosts,
): Promise<HostVersion[]> {
  const master = await readControlPlaneVersion(client);
  const nodes = (await client.list<Node>(resources.nodes)).items;
  const byName = new Map(nodes.map((n) => [n.metadata.name, n]));
  return [
    { name: inventory.master.name, role: 'master', version: master },
    ...inventory.workers.map((w) => ({
      name: w.name,
      role: 'worker' as const,
      version: nodeVersion(byName.get(w.name)),
    })),
  ];
}
