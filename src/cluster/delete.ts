import { CLUSTER_TAG } from '../aws/types.js';
import { runPhase, silentEvents } from '../events.js';
import { checkClusterName, stackNameOf } from '../naming.js';
import { disassociatePool } from '../provision/eip.js';
import { findLeftovers } from '../provision/leftovers.js';
import { type DeletionProof, proveDeleted } from '../provision/proof.js';
import { deleteStackAndWait } from '../provision/stack.js';
import { type SweepResult, sweepCluster } from '../provision/sweep.js';
import { secretsKeyAlias } from '../provision/template/storage-names.js';
import { sleep } from '../timing.js';
import type { LifecycleOptions } from './types.js';

/** Extra sweeps for state objects a shutting-down master shipped after the first one. */
const STATE_RESWEEPS = 3;

/** The proof failed only on the cluster's store objects in S3 (shipped late, see deleteCluster). */
function lateStateObjectsOnly(proof: DeletionProof): boolean {
  return !proof.clean && proof.remaining.every((r) => r.kind === 'state-object');
}

/** Tags the cluster's secrets key (found by its alias) with the cluster, if it is not already. */
async function tagSecretsKey(aws: LifecycleOptions['aws'], cluster: string): Promise<void> {
  const key = await aws.kms.describeKey(secretsKeyAlias(cluster));
  if (!key || key.manager === 'AWS' || (await aws.kms.keyTags(key.id))[CLUSTER_TAG] === cluster) return;
  await aws.kms.tagKey(key.id, { [CLUSTER_TAG]: cluster });
}

/** What delete is about to remove, shown before asking. */
export interface DeletePlan {
  readonly cluster: string;
  readonly stackName: string;
  readonly stackStatus?: string;
  readonly resources: readonly { readonly kind: string; readonly id: string }[];
}

/** Options of `deleteCluster`. */
export interface DeleteClusterOptions extends LifecycleOptions {
  readonly cluster: string;
  /** Shown the plan; returns whether to go ahead. @default go ahead */
  readonly confirm?: (plan: DeletePlan) => Promise<boolean>;
  /** Rounds of the tag sweep. @default 12 */
  readonly sweepRounds?: number;
  /** First pause between sweep rounds. @default 2_000 */
  readonly sweepDelayMs?: number;
  /** Keep the cluster's backups (`<cluster>/backups/` in S3); everything else goes. @default false */
  readonly keepBackups?: boolean;
}

/** What `deleteCluster` did; `clean` is the bottom line. */
export interface DeleteClusterResult {
  readonly cluster: string;
  readonly declined: boolean;
  readonly plan: DeletePlan;
  readonly stack?: { readonly outcome: string; readonly reason?: string };
  readonly sweep?: SweepResult;
  readonly proof?: DeletionProof;
  /** True when the proof found nothing of the cluster left. */
  readonly clean: boolean;
}

/**
 * Deletes a cluster from what AWS reports (no local state): shows the plan, disassociates pool
 * EIPs, deletes the stack and waits, sweeps leftovers by tag (also the cluster's S3 objects, its
 * SSM parameters, and its KMS key, scheduled for deletion), deletes a stack that failed to delete
 * once its blockers are gone, and proves nothing is left. Safe to re-run after Ctrl-C.
 */
export async function deleteCluster(options: DeleteClusterOptions): Promise<DeleteClusterResult> {
  const cluster = checkClusterName(options.cluster);
  const events = options.events ?? silentEvents;
  const { aws, signal } = options;
  const stackName = stackNameOf(cluster);
  const keepBackups = options.keepBackups ?? false;
  const stackOpts = {
    cfn: aws.cloudFormation,
    events,
    stackName,
    ...(signal ? { signal } : {}),
    ...(options.pollIntervalMs ? { pollIntervalMs: options.pollIntervalMs } : {}),
    ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
  };
  const plan = await runPhase(events, 'plan', 'find what to delete', async (): Promise<DeletePlan> => {
    const [stack, left] = await Promise.all([
      aws.cloudFormation.describeStack(stackName),
      findLeftovers(aws, cluster, { keepBackups }),
    ]);
    return {
      cluster,
      stackName,
      ...(stack ? { stackStatus: stack.status } : {}),
      resources: left.map((l) => ({ kind: l.kind, id: l.id })),
    };
  });
  events.emit({
    code: 'delete.plan',
    level: 'debug',
    message: `would delete stack ${plan.stackStatus ? stackName : '(none)'} and ${plan.resources.length} tagged resources`,
    data: { ...plan },
  });
  if (options.confirm && !(await options.confirm(plan))) {
    return { cluster, declined: true, plan, clean: false };
  }
  // The stack's delete takes the key's alias with it, and a stack deployed without tugboat create
  // (the no-client path) never tagged the key: tag it now, so the sweep still finds it afterwards
  // (CloudFormation schedules its deletion; moto's does not).
  await tagSecretsKey(aws, cluster);
  await runPhase(events, 'eips', 'disassociate pool EIPs', () => disassociatePool(aws.ec2, cluster, events));
  let stack = await runPhase(events, 'stack', `delete stack ${stackName}`, () =>
    deleteStackAndWait(stackOpts),
  );
  const sweepOptions = {
    aws,
    cluster,
    events,
    keepBackups,
    ...(signal ? { signal } : {}),
    ...(options.sweepRounds ? { maxRounds: options.sweepRounds } : {}),
    ...(options.sweepDelayMs !== undefined ? { retryDelayMs: options.sweepDelayMs } : {}),
  };
  let sweep = await runPhase(events, 'sweep', 'sweep leftovers by tag', () => sweepCluster(sweepOptions));
  if (await aws.cloudFormation.describeStack(stackName)) {
    // DELETE_FAILED: the sweep removed what blocked it; delete the stack again, then sweep again.
    stack = await runPhase(events, 'stack', `delete stack ${stackName} again`, () =>
      deleteStackAndWait(stackOpts),
    );
    sweep = await runPhase(events, 'sweep', 'sweep leftovers by tag', () => sweepCluster(sweepOptions));
  }
  let proof = await runPhase(events, 'proof', 'prove nothing is left', () =>
    proveDeleted(aws, cluster, undefined, { keepBackups }),
  );
  // A master that was still shutting down when the sweep emptied its S3 prefix can ship one more
  // state object after it (the store ships every second until the process is gone): only such
  // objects left, give it a moment and sweep again, a bounded number of times.
  for (let retry = 0; retry < STATE_RESWEEPS && lateStateObjectsOnly(proof); retry++) {
    await sleep(options.sweepDelayMs ?? 5_000, signal);
    sweep = await runPhase(events, 'sweep', 'sweep state objects shipped during shutdown', () =>
      sweepCluster(sweepOptions),
    );
    proof = await runPhase(events, 'proof', 'prove nothing is left', () =>
      proveDeleted(aws, cluster, undefined, { keepBackups }),
    );
  }
  const stackStillThere = Boolean(await aws.cloudFormation.describeStack(stackName));
  events.emit({
    code: 'delete.proof',
    level: proof.clean ? 'info' : 'error',
    message: proof.clean
      ? `nothing tagged ${cluster} is left (${proof.checks.length} resource kinds checked)`
      : `${proof.remaining.length} resources remain: ${proof.remaining.map((r) => `${r.kind} ${r.id}`).join(', ')}`,
    data: { ...proof },
  });
  return {
    cluster,
    declined: false,
    plan,
    stack: { outcome: stack.outcome, ...(stack.reason ? { reason: stack.reason } : {}) },
    sweep,
    proof,
    clean: proof.clean && !stackStillThere,
  };
}
