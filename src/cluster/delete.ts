import { CLUSTER_TAG } from '../aws/types.js';
import { runPhase, silentEvents } from '../events.js';
import { checkClusterName, stackNameOf } from '../naming.js';
import {
  liveInstances,
  sweepObjectsUntilQuiet,
  waitInstancesTerminated,
} from '../provision/after-termination.js';
import { disassociatePool } from '../provision/eip.js';
import { findLeftovers } from '../provision/leftovers.js';
import { type DeletionProof, proveDeleted } from '../provision/proof.js';
import { deleteStackAndWait } from '../provision/stack.js';
import { type SweepResult, sweepCluster } from '../provision/sweep.js';
import { secretsKeyAlias } from '../provision/template/storage-names.js';
import type { LifecycleOptions } from './types.js';

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
  /**
   * After the instances are terminated, how long the cluster's S3 prefix must stay empty before
   * the proof (an upload in flight when an instance went down can land a moment later). Only when
   * this delete saw an instance of the cluster that was not yet terminated. @default 3_000
   */
  readonly quietPeriodMs?: number;
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
 * once its blockers are gone, waits until EC2 reports the instances terminated, sweeps the
 * cluster's S3 prefix until it stays empty for a quiet period, and proves nothing is left. Safe to
 * re-run after Ctrl-C.
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
  // Instances already terminated now (CloudFormation waits for that when it deletes the groups):
  // the quiet period for late uploads can start here and run while the sweep works.
  const terminatedBeforeSweep = (await liveInstances(aws, cluster)).length === 0 ? Date.now() : undefined;
  let sweep = await runPhase(events, 'sweep', 'sweep leftovers by tag', () => sweepCluster(sweepOptions));
  if (await aws.cloudFormation.describeStack(stackName)) {
    // DELETE_FAILED: the sweep removed what blocked it; delete the stack again, then sweep again.
    stack = await runPhase(events, 'stack', `delete stack ${stackName} again`, () =>
      deleteStackAndWait(stackOpts),
    );
    sweep = await runPhase(events, 'sweep', 'sweep leftovers by tag', () => sweepCluster(sweepOptions));
  }
  // The cluster's hosts write to its S3 prefix (a master ships its store every second) until they
  // are off, and an instance in shutting-down is not off: only once EC2 reports every instance
  // terminated can a sweep of the prefix be final. Then sweep it until it stays empty for a
  // quiet period, for uploads that were in flight when the instances went down.
  const terminated = await runPhase(events, 'instances', 'wait until the instances are terminated', () =>
    waitInstancesTerminated({
      aws,
      cluster,
      ...(signal ? { signal } : {}),
      pollIntervalMs: Math.min(options.pollIntervalMs ?? 2_000, 2_000),
      ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
    }),
  );
  // No instance of the cluster was up during this delete: nothing can have an upload in flight.
  const hadLive = terminated.sawLive || plan.resources.some((r) => r.kind === 'instance');
  const quietMs = hadLive ? (options.quietPeriodMs ?? 3_000) : 0;
  const sweptInstances = sweep.deleted.some((d) => d.kind === 'instance');
  const quietSince =
    terminated.sawLive || sweptInstances ? Date.now() : (terminatedBeforeSweep ?? Date.now());
  await runPhase(
    events,
    'settle',
    `sweep S3 until the cluster's prefix stays empty for ${(quietMs / 1000).toFixed(1)} s`,
    () =>
      sweepObjectsUntilQuiet({
        aws,
        cluster,
        events,
        keepBackups,
        quietMs,
        quietSince,
        ...(signal ? { signal } : {}),
      }),
  );
  const proof = await runPhase(events, 'proof', 'prove nothing is left', () =>
    proveDeleted(aws, cluster, undefined, { keepBackups }),
  );
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
