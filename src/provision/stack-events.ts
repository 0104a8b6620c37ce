import type { CloudFormationApi, StackEvent } from '../aws/cloudformation.js';
import type { EventSink } from '../events.js';

/** A resource that made a stack operation fail. */
export interface RootCause {
  readonly logicalId: string;
  readonly resourceType: string;
  readonly status: string;
  readonly reason: string;
}

/** Statuses that are still moving; anything else is final. */
export function isInProgress(status: string): boolean {
  return status.endsWith('_IN_PROGRESS');
}

const CANCELLED = /cancel+ed|was not (created|updated)|due to rollback/i;

/**
 * Streams a stack's events as `stack.event` events, each once, oldest first. Call `prime` before
 * starting an operation so older events are not replayed, then `poll` while waiting.
 */
export class StackEventStream {
  private readonly seen = new Set<string>();
  /** Events this operation produced, oldest first. */
  readonly history: StackEvent[] = [];

  constructor(
    private readonly cfn: CloudFormationApi,
    private readonly stackName: string,
    private readonly events: EventSink,
  ) {}

  /** Marks every existing event as seen. Missing stacks have none. */
  async prime(): Promise<void> {
    for (const e of await this.fetch()) this.seen.add(e.id);
  }

  /** Emits the events that appeared since the last call. */
  async poll(): Promise<void> {
    const fresh = (await this.fetch()).filter((e) => !this.seen.has(e.id)).reverse();
    for (const e of fresh) {
      this.seen.add(e.id);
      this.history.push(e);
      const failed = e.status.endsWith('_FAILED');
      this.events.emit({
        code: 'stack.event',
        level: failed ? 'warn' : 'info',
        message: `${e.logicalId} (${e.resourceType}) ${e.status}${e.reason ? `: ${e.reason}` : ''}`,
        data: {
          stack: this.stackName,
          logicalId: e.logicalId,
          resourceType: e.resourceType,
          status: e.status,
          ...(e.reason ? { reason: e.reason } : {}),
          timestamp: e.timestamp.toISOString(),
        },
      });
    }
  }

  /** The root-cause failures among this operation's events (see `rootCauses`). */
  rootCauses(): RootCause[] {
    return rootCauses(this.history, this.stackName);
  }

  private async fetch(): Promise<StackEvent[]> {
    // Events are a progress aid: an emulator that cannot list them must not fail the operation.
    return this.cfn.describeStackEvents(this.stackName, 100).catch(() => []);
  }
}

/**
 * The first FAILED resource events of an operation (oldest first), skipping the knock-on
 * "cancelled" failures and the stack's own event, as the CDK reports a failed deploy.
 */
export function rootCauses(history: readonly StackEvent[], stackName: string): RootCause[] {
  const failed = history.filter(
    (e) =>
      e.status.endsWith('_FAILED') &&
      e.resourceType !== 'AWS::CloudFormation::Stack' &&
      e.logicalId !== stackName,
  );
  const primary = failed.filter((e) => !CANCELLED.test(e.reason ?? ''));
  const chosen = (primary.length ? primary : failed).slice(0, 3);
  return chosen.map((e) => ({
    logicalId: e.logicalId,
    resourceType: e.resourceType,
    status: e.status,
    reason: e.reason ?? '(no reason given)',
  }));
}

/**
 * When CreateStack itself fails (an emulator validating synchronously), the error names a bad
 * value but not the resource: find the template resources whose properties contain a quoted value
 * from the message.
 */
export function resourcesMentioned(template: unknown, message: string): RootCause[] {
  const resources = (template as { Resources?: Record<string, { Type?: string; Properties?: unknown }> })
    ?.Resources;
  if (!resources) return [];
  const quoted = [...message.matchAll(/['"`]([^'"`]{3,})['"`]/g)].map((m) => m[1] ?? '');
  if (quoted.length === 0) return [];
  const found: RootCause[] = [];
  for (const [logicalId, r] of Object.entries(resources)) {
    const body = JSON.stringify(r.Properties ?? {});
    if (quoted.some((q) => body.includes(JSON.stringify(q)))) {
      found.push({ logicalId, resourceType: r.Type ?? '', status: 'CREATE_FAILED', reason: message });
    }
  }
  return found;
}

/** Renders root causes as indented lines for an error message. */
export function describeRootCauses(causes: readonly RootCause[]): string {
  return causes.map((c) => `  ${c.logicalId} (${c.resourceType}) ${c.status}: ${c.reason}`).join('\n');
}
