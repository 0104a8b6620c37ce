import { type BootstrapHost, type BootstrapHosts, mastersOf } from '../bootstrap/bootstrap-hosts.js';
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
 * What every host of the inventory runs, as the cluster reports it: each master by its own API
 * server's `/version` (through `masterClient`, which must reach that master alone; a master that
 * does not answer reports no version and is reinstalled), each worker by its Node. Nothing is
 * recorded locally, so a re-run after Ctrl-C (or from another machine) sees where the roll got to.
 */
export async function readHostVersions(
  client: KubeClient,
  inventory: BootstrapHosts,
  masterClient: (master: BootstrapHost) => KubeClient = () => client,
): Promise<HostVersion[]> {
  const masters = await Promise.all(
    mastersOf(inventory).map(async (m) => ({
      name: m.name,
      role: 'master' as const,
      version: await readControlPlaneVersion(masterClient(m)).catch(() => undefined),
    })),
  );
  const nodes = (await client.list<Node>(resources.nodes)).items;
  const byName = new Map(nodes.map((n) => [n.metadata.name, n]));
  return [
    ...masters,
    ...inventory.workers.map((w) => ({
      name: w.name,
      role: 'worker' as const,
      version: nodeVersion(byName.get(w.name)),
    })),
  ];
}
