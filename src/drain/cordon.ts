import type { KubeClient } from '../client/client.js';
import { resources } from '../client/types.js';

/** Marks a node unschedulable (cordon) or schedulable again (uncordon), as kubectl does. */
export async function cordonNode(client: KubeClient, name: string, unschedulable: boolean): Promise<void> {
  await client.patch(
    resources.nodes,
    name,
    { spec: { unschedulable: unschedulable || null } },
    { patchType: 'strategic' },
  );
}
