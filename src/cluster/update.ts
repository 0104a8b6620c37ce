import { CLUSTER_TAG } from '../aws/types.js';
import { runPhase, silentEvents } from '../events.js';
import { ensurePoolTags } from '../provision/eip.js';
import { type Inventory, waitForGroups } from '../provision/inventory.js';
import { keyPairName } from '../provision/keypair.js';
import { type ChangeSummary, updateStack } from '../provision/stack.js';
import { type ClusterDefinition, checkClusterName, type LifecycleOptions, stackNameOf } from './types.js';

/** Options of `updateCluster`. */
export interface UpdateClusterOptions extends LifecycleOptions {
  readonly definition: ClusterDefinition;
  /** Shown the add / modify / replace / remove summary; returns whether to apply. @default apply */
  readonly confirmChanges?: (changes: ChangeSummary) => Promise<boolean>;
}

/** What `updateCluster` did. */
export interface UpdateClusterResult {
  readonly cluster: string;
  readonly stackName: string;
  readonly action: 'updated' | 'unchanged' | 'declined';
  readonly changes?: ChangeSummary;
  readonly inventory?: Inventory;
}

/**
 * Updates a cluster's stack through a change set (every parameter passed explicitly), then waits
 * until every group has its desired instances InService again.
 */
export async function updateCluster(options: UpdateClusterOptions): Promise<UpdateClusterResult> {
  const { aws, definition } = options;
  const events = options.events ?? silentEvents;
  const cluster = checkClusterName(definition.name);
  const stackName = stackNameOf(cluster);
  const signal = options.signal;
  const result = await runPhase(events, 'stack', `change set for ${stackName}`, () =>
    updateStack({
      cfn: aws.cloudFormation,
      events,
      stackName,
      template: definition.template,
      parameters: {
        ...definition.parameters,
        [definition.keyNameParameter ?? 'KeyName']: keyPairName(cluster),
      },
      tags: { ...definition.tags, [CLUSTER_TAG]: cluster },
      ...(signal ? { signal } : {}),
      ...(options.confirmChanges ? { confirmChanges: options.confirmChanges } : {}),
      ...(options.pollIntervalMs ? { pollIntervalMs: options.pollIntervalMs } : {}),
      ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
    }),
  );
  if (result.action !== 'updated') {
    return {
      cluster,
      stackName,
      action: result.action === 'declined' ? 'declined' : 'unchanged',
      ...(result.changes ? { changes: result.changes } : {}),
    };
  }
  await ensurePoolTags({
    cfn: aws.cloudFormation,
    ec2: aws.ec2,
    stackName,
    template: definition.template,
    cluster,
  });
  const inventory = await runPhase(events, 'instances', 'instances InService', () =>
    waitForGroups({
      ec2: aws.ec2,
      autoScaling: aws.autoScaling,
      cluster,
      events,
      ...(signal ? { signal } : {}),
      ...(options.pollIntervalMs ? { pollIntervalMs: options.pollIntervalMs } : {}),
      ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
    }),
  );
  return {
    cluster,
    stackName,
    action: 'updated',
    ...(result.changes ? { changes: result.changes } : {}),
    inventory,
  };
}
