import { CLUSTER_TAG } from '../aws/types.js';
import { runPhase, silentEvents } from '../events.js';
import { assignEips, ensurePoolTags } from '../provision/eip.js';
import { buildInventory, type Inventory, waitForGroups } from '../provision/inventory.js';
import { keyPairName } from '../provision/keypair.js';
import {
  applyStackUpdate,
  type ChangeSummary,
  discardStackUpdate,
  planStackUpdate,
} from '../provision/stack-update.js';
import { s3TemplateStore } from '../provision/template-store.js';
import { type ClusterDefinition, checkClusterName, type LifecycleOptions, stackNameOf } from './types.js';

/** Options of `updateCluster`. */
export interface UpdateClusterOptions extends LifecycleOptions {
  readonly definition: ClusterDefinition;
  /**
   * Shown the add / modify / replace / remove summary between the plan and apply phases (so a
   * prompt never fights a progress display); returns whether to apply. @default apply
   */
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
 * Updates a cluster's stack through a change set (every parameter passed explicitly): plan,
 * confirm, apply, then wait until every group has its desired instances InService again.
 */
export async function updateCluster(options: UpdateClusterOptions): Promise<UpdateClusterResult> {
  const { aws, definition } = options;
  const events = options.events ?? silentEvents;
  const cluster = checkClusterName(definition.name);
  const stackName = stackNameOf(cluster);
  const signal = options.signal;
  const stackOptions = {
    cfn: aws.cloudFormation,
    events,
    stackName,
    template: definition.template,
    parameters: {
      ...definition.parameters,
      [definition.keyNameParameter ?? 'KeyName']: keyPairName(cluster),
    },
    tags: { ...definition.tags, [CLUSTER_TAG]: cluster },
    templateStore: s3TemplateStore({ aws, cluster, events }),
    ...(signal ? { signal } : {}),
    ...(options.pollIntervalMs ? { pollIntervalMs: options.pollIntervalMs } : {}),
    ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
  };
  const plan = await runPhase(events, 'changes', `change set for ${stackName}`, () =>
    planStackUpdate(stackOptions),
  );
  if (plan.kind === 'unchanged') return { cluster, stackName, action: 'unchanged' };
  if (options.confirmChanges && !(await options.confirmChanges(plan.changes))) {
    await discardStackUpdate(stackOptions, plan);
    return { cluster, stackName, action: 'declined', changes: plan.changes };
  }
  await runPhase(events, 'stack', `update stack ${stackName}`, () => applyStackUpdate(stackOptions, plan));
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
  const eipGroups = definition.eipGroups ?? [];
  if (eipGroups.length === 0)
    return { cluster, stackName, action: 'updated', changes: plan.changes, inventory };
  // Replaced instances lose their addresses: give the spec's eip groups theirs again.
  const withEips = await runPhase(events, 'eips', 'associate pool EIPs', async () => {
    await assignEips({
      ec2: aws.ec2,
      autoScaling: aws.autoScaling,
      cluster,
      events,
      groups: eipGroups,
      ...(signal ? { signal } : {}),
    });
    return buildInventory({ ec2: aws.ec2, autoScaling: aws.autoScaling, cluster });
  });
  return { cluster, stackName, action: 'updated', changes: plan.changes, inventory: withEips };
}
