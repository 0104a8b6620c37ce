import type { CloudFormationApi, StackInfo, StackInput } from '../aws/cloudformation.js';
import { AwsCallError } from '../aws/errors.js';
import type { Tags } from '../aws/types.js';
import { DeploymentError, UsageError } from '../errors.js';
import type { EventSink } from '../events.js';
import {
  describeRootCauses,
  isInProgress,
  type RootCause,
  resourcesMentioned,
  StackEventStream,
} from './stack-events.js';
import type { ChangeSummary } from './stack-update.js';
import { stageTemplate, type TemplateStore } from './template-store.js';
import { pollUntil, throwIfAborted } from './wait.js';

/** What stack operations need. */
export interface StackOptions {
  readonly cfn: CloudFormationApi;
  readonly events: EventSink;
  readonly signal?: AbortSignal;
  readonly stackName: string;
  /** Poll interval while waiting. @default 5_000 */
  readonly pollIntervalMs?: number;
  /** Upper bound on any single wait. @default 3_600_000 */
  readonly timeoutMs?: number;
}

/** A template to deploy, with every parameter value given explicitly. */
export interface StackDeployOptions extends StackOptions {
  readonly template: object;
  readonly parameters: Readonly<Record<string, string>>;
  readonly tags: Tags;
  /** Asked before deleting a stack left in ROLLBACK_COMPLETE. @default refuse */
  readonly confirmReplace?: (question: string) => Promise<boolean>;
  /**
   * Where templates above the 51,200-byte inline limit are uploaded (passed as TemplateURL).
   * @default none: such templates are refused with TEMPLATE_TOO_LARGE
   */
  readonly templateStore?: TemplateStore;
  /** Set on the retry after losing a create race (so it happens once). @default false */
  readonly raced?: boolean;
}

/** What a stack deploy did. */
export interface StackDeployResult {
  readonly action: 'created' | 'replaced' | 'exists' | 'updated' | 'unchanged' | 'declined';
  readonly stack: StackInfo;
  readonly changes?: ChangeSummary;
}

const FAILED_FINAL = /ROLLBACK_COMPLETE$|_FAILED$/;

/** Waits (bounded, streaming events) until the stack leaves every *_IN_PROGRESS status. */
export async function waitForStack(
  options: StackOptions,
  stream: StackEventStream,
): Promise<StackInfo | undefined> {
  return pollUntil(
    async () => {
      await stream.poll();
      const stack = await options.cfn.describeStack(options.stackName);
      if (!stack) return { gone: true as const };
      if (isInProgress(stack.status)) return undefined;
      await stream.poll(); // the events that led to the final status
      return { gone: false as const, stack };
    },
    {
      what: `stack ${options.stackName}`,
      intervalMs: options.pollIntervalMs ?? 5_000,
      timeoutMs: options.timeoutMs ?? 3_600_000,
      ...(options.signal ? { signal: options.signal } : {}),
    },
  ).then((r) => (r.gone ? undefined : r.stack));
}

/** A stack failure naming its root-cause resources (or the AWS message when none is known). */
export function stackFailure(
  stackName: string,
  status: string,
  causes: readonly RootCause[],
  next: string,
  fallback?: string,
): DeploymentError {
  const detail = causes.length
    ? `; root cause:\n${describeRootCauses(causes)}`
    : fallback
      ? `: ${fallback}`
      : '';
  const err = new DeploymentError(
    'STACK_FAILED',
    `stack ${stackName} failed (${status})${detail}\nnext: ${next}`,
  );
  return Object.assign(err, { rootCauses: causes });
}

/**
 * Creates the stack, or brings a previous attempt to completion: an existing complete stack is
 * left alone (`exists`; use update to change it), one in progress is waited for, and one in
 * ROLLBACK_COMPLETE is deleted and created again after `confirmReplace` says yes.
 */
export async function deployStack(options: StackDeployOptions): Promise<StackDeployResult> {
  const { cfn, events, stackName } = options;
  const stream = new StackEventStream(cfn, stackName, events);
  let existing = await cfn.describeStack(stackName);
  let replaced = false;
  if (existing && isInProgress(existing.status)) {
    events.emit({
      code: 'stack.wait',
      level: 'info',
      message: `${stackName} is ${existing.status}; waiting`,
    });
    await stream.prime();
    existing = await waitForStack(options, stream);
  }
  if (existing?.status === 'ROLLBACK_COMPLETE' || existing?.status === 'ROLLBACK_FAILED') {
    const question = `stack ${stackName} is in ${existing.status} from a failed create; delete it and create again?`;
    if (!(await options.confirmReplace?.(question))) {
      throw new UsageError(
        `stack ${stackName} is in ${existing.status} and was not replaced: confirm the replacement (or pass --yes), or run \`tugboat delete\``,
      );
    }
    events.emit({ code: 'stack.replace', level: 'warn', message: `deleting failed stack ${stackName}` });
    await deleteStackAndWait(options);
    existing = undefined;
    replaced = true;
  }
  if (existing) {
    if (FAILED_FINAL.test(existing.status) && existing.status !== 'UPDATE_ROLLBACK_COMPLETE') {
      throw new DeploymentError(
        'STACK_FAILED',
        `stack ${stackName} is in ${existing.status}: run \`tugboat delete\` to remove it, then create again`,
      );
    }
    events.emit({
      code: 'stack.exists',
      level: 'info',
      message: `${stackName} already exists (${existing.status})`,
    });
    return { action: 'exists', stack: existing };
  }
  throwIfAborted(options.signal);
  events.emit({ code: 'stack.create', level: 'info', message: `creating stack ${stackName}` });
  const staged = await stageTemplate(options.template, stackName, options.templateStore);
  try {
    return await createAndWait(options, stream, staged.source, replaced);
  } finally {
    // CloudFormation keeps its own copy once the operation is over, success or failure.
    await staged.release();
  }
}

async function createAndWait(
  options: StackDeployOptions,
  stream: StackEventStream,
  source: StackInput['source'],
  replaced: boolean,
): Promise<StackDeployResult> {
  const { cfn, events, stackName } = options;
  try {
    await cfn.createStack({ stackName, source, parameters: options.parameters, tags: options.tags });
  } catch (err) {
    if (!(err instanceof AwsCallError)) throw err;
    if (err.awsCode === 'AlreadyExistsException' && !options.raced)
      return deployStack({ ...options, raced: true });
    // No stack existed before this call, so whatever CreateStack left is ours to remove. Real AWS
    // creates nothing on a synchronous error (the delete is a no-op); moto leaves a half-made stack
    // whose every describe fails, which would block both create and delete.
    await cfn.deleteStack(stackName).catch(() => undefined);
    events.emit({
      code: 'stack.cleanup',
      level: 'warn',
      message: `removed the failed stack ${stackName}; \`tugboat delete\` removes any tagged leftovers`,
    });
    // Emulators validate synchronously and name only the bad value: find the resources using it.
    const reason = `${err.awsCode}: ${err.awsMessage}`;
    const causes = resourcesMentioned(options.template, err.awsMessage).map((c) => ({ ...c, reason }));
    throw stackFailure(stackName, 'CREATE_FAILED', causes, NEXT_AFTER_FAILED_CREATE, err.message);
  }
  const done = await waitForStack(options, stream);
  if (!done) throw stackFailure(stackName, 'DELETE_COMPLETE', stream.rootCauses(), NEXT_AFTER_FAILED_CREATE);
  if (done.status !== 'CREATE_COMPLETE') {
    throw stackFailure(stackName, done.status, stream.rootCauses(), NEXT_AFTER_FAILED_CREATE);
  }
  return { action: replaced ? 'replaced' : 'created', stack: done };
}

const NEXT_AFTER_FAILED_CREATE =
  'fix the cluster spec, then run `tugboat create` again (a stack in ROLLBACK_COMPLETE is replaced after confirmation), or run `tugboat delete` to remove what was made';

/** What happened to the stack on delete. */
export interface StackDeleteResult {
  /** `absent`: there was no stack; `deleted`; `failed`: the stack or its delete left things behind. */
  readonly outcome: 'absent' | 'deleted' | 'failed';
  readonly reason?: string;
}

/**
 * Deletes the stack and waits until it is gone. A delete that fails (DELETE_FAILED, or an emulator
 * raising DependencyViolation) is reported as `failed` rather than thrown: the tag sweep follows.
 */
export async function deleteStackAndWait(options: StackOptions): Promise<StackDeleteResult> {
  const { cfn, events, stackName } = options;
  const stack = await cfn.describeStack(stackName);
  if (!stack) return { outcome: 'absent' };
  const stream = new StackEventStream(cfn, stackName, events);
  await stream.prime();
  throwIfAborted(options.signal);
  try {
    await cfn.deleteStack(stackName);
  } catch (err) {
    if (!(err instanceof AwsCallError)) throw err;
    events.emit({
      code: 'stack.delete-failed',
      level: 'warn',
      message: err.message,
      data: { awsCode: err.awsCode },
    });
    const still = await cfn.describeStack(stackName);
    if (!still) return { outcome: 'failed', reason: err.message };
    if (!isInProgress(still.status)) return { outcome: 'failed', reason: err.message };
  }
  const done = await waitForStack(options, stream);
  if (!done) return { outcome: 'deleted' };
  const causes = stream.rootCauses();
  const reason = causes.length ? describeRootCauses(causes) : (done.statusReason ?? done.status);
  events.emit({
    code: 'stack.delete-failed',
    level: 'warn',
    message: `${stackName} ${done.status}: ${reason}`,
  });
  return { outcome: 'failed', reason };
}
