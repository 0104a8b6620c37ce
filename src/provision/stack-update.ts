import type { ResourceChange, StackInfo } from '../aws/cloudformation.js';
import { DeploymentError, UsageError } from '../errors.js';
import { type StackDeployOptions, type StackOptions, stackFailure, waitForStack } from './stack.js';
import { isInProgress, StackEventStream } from './stack-events.js';
import { stageTemplate } from './template-store.js';
import { pollUntil, throwIfAborted } from './wait.js';

/** Resource changes of an update, grouped as a user reads them. */
export interface ChangeSummary {
  readonly add: readonly ResourceChange[];
  readonly modify: readonly ResourceChange[];
  readonly replace: readonly ResourceChange[];
  readonly remove: readonly ResourceChange[];
}

/** Groups change-set changes into add / modify / replace / remove. */
export function summarizeChanges(changes: readonly ResourceChange[]): ChangeSummary {
  const replaces = (c: ResourceChange) => c.replacement === 'True' || c.replacement === 'Conditional';
  return {
    add: changes.filter((c) => c.action === 'Add'),
    modify: changes.filter((c) => c.action === 'Modify' && !replaces(c)),
    replace: changes.filter((c) => c.action === 'Modify' && replaces(c)),
    remove: changes.filter((c) => c.action === 'Remove'),
  };
}

/** A computed change set, waiting to be applied or discarded. */
export type UpdatePlan =
  | { readonly kind: 'unchanged'; readonly stack: StackInfo }
  | {
      readonly kind: 'changes';
      readonly stack: StackInfo;
      readonly changeSetId: string;
      readonly changes: ChangeSummary;
      /** Deletes the staged template once the change set is applied or discarded. */
      readonly release?: () => Promise<void>;
    };

/** Options of `planStackUpdate`. */
export interface PlanUpdateOptions extends StackDeployOptions {
  /** Unique suffix of the change set name. @default Date.now() */
  readonly changeSetSuffix?: string;
}

/**
 * Creates a change set (every parameter explicit) and describes it. The plan is shown to the user
 * between this and `applyStackUpdate`, outside any progress phase.
 */
export async function planStackUpdate(options: PlanUpdateOptions): Promise<UpdatePlan> {
  const { cfn, events, stackName } = options;
  const stack = await cfn.describeStack(stackName);
  if (!stack) {
    throw new UsageError(
      `stack ${stackName} does not exist: create the cluster first with \`tugboat create\``,
    );
  }
  if (isInProgress(stack.status)) {
    throw new DeploymentError(
      'STACK_BUSY',
      `stack ${stackName} is ${stack.status}: wait for it to finish, then update`,
    );
  }
  const changeSetName = `tugboat-${options.changeSetSuffix ?? Date.now()}`;
  const staged = await stageTemplate(options.template, stackName, options.templateStore);
  let cs: Awaited<ReturnType<typeof cfn.describeChangeSet>>;
  let id: string;
  try {
    id = await cfn.createChangeSet({
      stackName,
      changeSetName,
      source: staged.source,
      parameters: options.parameters,
      tags: options.tags,
    });
    cs = await pollUntil(
      async () => {
        const d = await cfn.describeChangeSet(id);
        return d.status.endsWith('_PENDING') || d.status.endsWith('_IN_PROGRESS') ? undefined : d;
      },
      {
        what: `change set ${changeSetName}`,
        intervalMs: Math.min(options.pollIntervalMs ?? 2_000, 2_000),
        timeoutMs: 600_000,
        ...(options.signal ? { signal: options.signal } : {}),
      },
    );
  } catch (err) {
    await staged.release();
    throw err;
  }
  if (cs.status === 'FAILED') {
    await staged.release();
    await cfn.deleteChangeSet(id).catch(() => undefined);
    if (/didn't contain changes|no updates/i.test(cs.statusReason ?? '')) return { kind: 'unchanged', stack };
    throw new DeploymentError(
      'CHANGE_SET_FAILED',
      `change set for ${stackName} failed: ${cs.statusReason ?? 'no reason'}`,
    );
  }
  const changes = summarizeChanges(cs.changes);
  events.emit({
    code: 'stack.changes',
    level: 'info',
    message: `${changes.add.length} to add, ${changes.modify.length} to modify, ${changes.replace.length} to replace, ${changes.remove.length} to remove`,
    data: { ...changes },
  });
  return { kind: 'changes', stack, changeSetId: id, changes, release: staged.release };
}

/** Deletes a plan's change set (the user declined). */
export async function discardStackUpdate(options: StackOptions, plan: UpdatePlan): Promise<void> {
  if (plan.kind !== 'changes') return;
  await options.cfn.deleteChangeSet(plan.changeSetId).catch(() => undefined);
  await plan.release?.();
}

/** Executes a plan's change set and waits, streaming events; reports root causes on failure. */
export async function applyStackUpdate(options: StackOptions, plan: UpdatePlan): Promise<StackInfo> {
  if (plan.kind === 'unchanged') return plan.stack;
  const stream = new StackEventStream(options.cfn, options.stackName, options.events);
  let done: StackInfo | undefined;
  try {
    throwIfAborted(options.signal);
    await stream.prime();
    await options.cfn.executeChangeSet(plan.changeSetId);
    done = await waitForStack(options, stream);
  } finally {
    await plan.release?.();
  }
  if (done?.status !== 'UPDATE_COMPLETE') {
    throw stackFailure(
      options.stackName,
      done?.status ?? 'DELETED',
      stream.rootCauses(),
      'fix the cluster spec and run `tugboat update` again',
    );
  }
  return done;
}
