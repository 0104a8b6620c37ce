import type { StackInfo } from '../aws/cloudformation.js';
import { CLUSTER_TAG } from '../aws/types.js';
import type { ClusterBootstrapResult } from '../bootstrap/cluster-bootstrap.js';
import { runPhase, silentEvents } from '../events.js';
import { checkClusterName, keyPairName, stackNameOf } from '../naming.js';
import type { ClusterInstances } from '../provision/cluster-instances.js';
import { findGroups } from '../provision/cluster-instances.js';
import {
  applyStackUpdate,
  type ChangeSummary,
  discardStackUpdate,
  planStackUpdate,
} from '../provision/stack-update.js';
import { s3TemplateStore } from '../provision/template-store.js';
import { type BootstrapOption, type BootstrapStep, prepareBootstrap } from './bootstrap-step.js';
import { publishHostBundle } from './bundle-step.js';
import { checkEtcdStaging } from './etcd-release-upload.js';
import { hasOutdatedInstances, type ReplacedInstance } from './replace-instances.js';
import { localKeyPair, settleCluster } from './settle.js';
import { noStackError } from './stack-settings.js';
import type { ClusterDefinition, LifecycleOptions } from './types.js';
import { replaceAfterUpdate } from './update-replace.js';
import { withWorkerInstall } from './worker-install-step.js';

/** Options of `updateCluster`. */
export interface UpdateClusterOptions extends LifecycleOptions {
  readonly definition: ClusterDefinition;
  /**
   * Shown the add / modify / replace / remove summary between the plan and apply phases (so a
   * prompt never fights a progress display); returns whether to apply. @default apply
   */
  readonly confirmChanges?: (changes: ChangeSummary) => Promise<boolean>;
  /** Root of local state (SSH key). @default ~/.tugboat */
  readonly stateRoot?: string;
  /**
   * The SSH bootstrap of the instances the update added or replaced, once they are settled (Ready
   * nodes and a working control plane are left alone); `false` skips it. @default true
   */
  readonly bootstrap?: BootstrapOption;
  /**
   * Replace instances whose instance type, AMI or volume size changed, one at a time: masters first
   * (terminate, the group's replacement boots and rejoins), then workers (surge, Ready, drain,
   * terminate); only with the SSH bootstrap, which new workers need. @default true
   */
  readonly replaceInstances?: boolean;
}

/** What `updateCluster` did. */
export interface UpdateClusterResult {
  readonly cluster: string;
  readonly stackName: string;
  readonly action: 'updated' | 'unchanged' | 'declined';
  readonly changes?: ChangeSummary;
  readonly inventory?: ClusterInstances;
  /** What the SSH bootstrap did, when it ran. */
  readonly bootstrap?: ClusterBootstrapResult;
  /** Masters, then workers, replaced for a new instance type, AMI or volume size, in order. */
  readonly replaced?: readonly ReplacedInstance[];
}

/**
 * Updates a cluster's stack through a change set (every parameter passed explicitly): plan,
 * confirm, apply, then wait until every group has its desired instances InService again, give
 * EIP groups their addresses and (unless `bootstrap` is false) bootstrap what is new.
 */
export async function updateCluster(options: UpdateClusterOptions): Promise<UpdateClusterResult> {
  const { aws, definition, stateRoot } = options;
  const events = options.events ?? silentEvents;
  const cluster = checkClusterName(definition.name);
  const stackName = stackNameOf(cluster);
  const signal = options.signal;
  const step = prepareBootstrap(options.bootstrap, {
    skipReady: true,
    ssm: aws.ssm,
    ...(options.stateRoot ? { stateRoot: options.stateRoot } : {}),
    ...(definition.settings ? { settings: definition.settings } : {}),
  });
  checkEtcdStaging(definition.settings);
  const bundleParams = await publishHostBundle({ aws, cluster, definition, step, events, stateRoot });
  const stackOptions = {
    cfn: aws.cloudFormation,
    events,
    stackName,
    template: definition.template,
    parameters: {
      ...definition.parameters,
      ...bundleParams,
      [definition.keyNameParameter ?? 'KeyName']: keyPairName(cluster),
    },
    tags: { ...definition.tags, [CLUSTER_TAG]: cluster },
    templateStore: s3TemplateStore({ aws, cluster, events }),
    ...(signal ? { signal } : {}),
    ...(options.pollIntervalMs ? { pollIntervalMs: options.pollIntervalMs } : {}),
    ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
  };
  const replacing = Boolean(step?.bundle) && options.replaceInstances !== false;
  // Instances the update launches (new, replaced) boot from user-data while it installs them over SSH.
  const installing = <T>(body: () => Promise<T>) =>
    withWorkerInstall(aws.ssm, { cluster, by: 'update', bootstrap: step !== undefined, events }, body);
  /** Settles (addresses, bootstrap of what is new), then replaces outdated masters and workers. */
  async function settleAndReplace(stack: StackInfo) {
    // Replaced instances lose their addresses, new ones have none: settle gives them theirs again.
    const keyPair = localKeyPair(cluster, options.stateRoot);
    const settleWith = (bootstrap: BootstrapStep['hook'] | undefined) =>
      settleCluster({
        ...options,
        events,
        cluster,
        stack,
        template: definition.template,
        eipGroups: definition.eipGroups ?? [],
        keyPair,
        bootstrap,
      });
    const settle = () => settleWith(step?.hook);
    const inventory = await settle();
    // New instances need the SSH bootstrap to become nodes, so replacement runs only with it.
    const replaced = replacing
      ? await runPhase(events, 'replace', 'replace instances with an old type, AMI or volume size', () =>
          replaceAfterUpdate({
            ...options,
            events,
            cluster,
            stack,
            inventory,
            keyPair,
            settle,
            // A replaced master installs itself from its user-data (it must, to rejoin etcd with no
            // laptop); an SSH install at the same time would start a second etcd and control plane.
            settleAddresses: () => settleWith(undefined),
            // Agents know the masters by address: each replaced master changes their list.
            repointWorkers: () => settleWith(step?.repointWorkers),
            trustNewHosts: typeof options.bootstrap === 'object' && options.bootstrap.trustNewHosts === true,
            ...(definition.settings ? { settings: definition.settings } : {}),
          }),
        )
      : undefined;
    return { inventory, ...(replaced?.length ? { replaced } : {}) };
  }
  const plan = await runPhase(events, 'changes', `change set for ${stackName}`, () =>
    planStackUpdate(stackOptions),
  );
  if (plan.kind === 'unchanged') {
    // A re-run after Ctrl-C during the replacement: the stack is done, the instances are not.
    const groups = replacing ? await findGroups(aws.autoScaling, cluster) : [];
    if (
      !(await hasOutdatedInstances(
        { ec2: aws.ec2, autoScaling: aws.autoScaling, events, ...(signal ? { signal } : {}) },
        groups,
      ))
    )
      return { cluster, stackName, action: 'unchanged' };
    const stack = await aws.cloudFormation.describeStack(stackName);
    if (!stack) throw noStackError(cluster, stackName);
    const result = await installing(() => settleAndReplace(stack));
    const bootstrapped = step?.result();
    return {
      cluster,
      stackName,
      action: 'updated',
      ...result,
      ...(bootstrapped ? { bootstrap: bootstrapped } : {}),
    };
  }
  if (options.confirmChanges) {
    // A question that cannot be asked (no terminal, Ctrl-C) ends the update like a "no": either
    // way the change set made for it is deleted, so none is left behind on the stack.
    const accepted = await options.confirmChanges(plan.changes).catch(async (err: unknown) => {
      await discardStackUpdate(stackOptions, plan);
      throw err;
    });
    if (!accepted) {
      await discardStackUpdate(stackOptions, plan);
      return { cluster, stackName, action: 'declined', changes: plan.changes };
    }
  }
  const { inventory, replaced } = await installing(async () =>
    settleAndReplace(
      await runPhase(events, 'stack', `update stack ${stackName}`, () =>
        applyStackUpdate(stackOptions, plan),
      ),
    ),
  );
  const bootstrapped = step?.result();
  return {
    cluster,
    stackName,
    action: 'updated',
    changes: plan.changes,
    inventory,
    ...(bootstrapped ? { bootstrap: bootstrapped } : {}),
    ...(replaced ? { replaced } : {}),
  };
}
