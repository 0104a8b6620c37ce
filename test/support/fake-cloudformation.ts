import type {
  ChangeSetInfo,
  CloudFormationApi,
  ResourceChange,
  StackEvent,
  StackInfo,
  StackInput,
} from '../../src/aws/cloudformation.js';
import { AwsCallError } from '../../src/aws/errors.js';

/**
 * A stateful fake of the CloudFormation calls tugboat makes, for orchestration unit tests.
 * Behaviour: stacks move through the statuses a script gives (one per describe), events are
 * returned newest first, deleting a missing stack is a no-op, describing one that is gone
 * returns undefined. A create whose script ends in ROLLBACK_COMPLETE records failed resource
 * events the way CloudFormation does (the real cause, then "Resource creation cancelled").
 */
export class FakeCloudFormation implements CloudFormationApi {
  readonly calls: string[] = [];
  /** The template source (inline body or URL) of every create and change set, in order. */
  readonly sources: StackInput['source'][] = [];
  private stacks = new Map<string, { info: StackInfo; script: string[] }>();
  private events = new Map<string, StackEvent[]>();
  private changeSets = new Map<string, ChangeSetInfo & { stackName: string }>();
  private seq = 0;
  /** Status sequence the next created stack goes through. */
  nextCreateScript: string[] = ['CREATE_IN_PROGRESS', 'CREATE_COMPLETE'];
  /** Failed resource events to record when a create ends in ROLLBACK_COMPLETE. */
  failures: { logicalId: string; resourceType: string; reason: string }[] = [];
  /** Changes the next change set reports. */
  nextChanges: ResourceChange[] = [];

  /** Puts a stack in place; `script` is the statuses its next describes report. */
  seed(name: string, status: string, script: string[] = []): void {
    this.stacks.set(name, { info: this.info(name, status), script });
  }

  private info(name: string, status: string): StackInfo {
    return { id: `arn:stack/${name}`, name, status, outputs: {}, parameters: {}, tags: {} };
  }

  private event(
    stack: string,
    logicalId: string,
    resourceType: string,
    status: string,
    reason?: string,
  ): void {
    const list = this.events.get(stack) ?? [];
    list.unshift({
      id: `e${++this.seq}`,
      timestamp: new Date(1_700_000_000_000 + this.seq * 1000),
      logicalId,
      resourceType,
      status,
      ...(reason ? { reason } : {}),
    });
    this.events.set(stack, list);
  }

  async describeStack(name: string): Promise<StackInfo | undefined> {
    this.calls.push(`describeStack ${name}`);
    const s = this.stacks.get(name);
    if (!s) return undefined;
    const next = s.script.shift();
    if (next === 'GONE') {
      this.stacks.delete(name);
      return undefined;
    }
    if (next) {
      s.info = { ...s.info, status: next };
      if (next === 'ROLLBACK_IN_PROGRESS') {
        for (const f of this.failures)
          this.event(name, f.logicalId, f.resourceType, 'CREATE_FAILED', f.reason);
        this.event(name, 'Other', 'AWS::EC2::Subnet', 'CREATE_FAILED', 'Resource creation cancelled');
      }
      this.event(name, name, 'AWS::CloudFormation::Stack', next);
    }
    return s.info;
  }
  async listStacks(): Promise<StackInfo[]> {
    return [...this.stacks.values()].map((s) => s.info);
  }
  async createStack(input: { stackName: string; source: StackInput['source'] }): Promise<string> {
    this.calls.push(`createStack ${input.stackName}`);
    this.sources.push(input.source);
    if (this.stacks.has(input.stackName)) {
      throw new AwsCallError('cloudformation:CreateStack', 'AlreadyExistsException', 'exists', undefined);
    }
    this.stacks.set(input.stackName, {
      info: this.info(input.stackName, 'CREATE_IN_PROGRESS'),
      script: [...this.nextCreateScript],
    });
    return `arn:stack/${input.stackName}`;
  }
  async deleteStack(name: string): Promise<void> {
    this.calls.push(`deleteStack ${name}`);
    const s = this.stacks.get(name);
    if (s) s.script = ['DELETE_IN_PROGRESS', 'GONE'];
  }
  async describeStackEvents(name: string, limit = 100): Promise<StackEvent[]> {
    return (this.events.get(name) ?? []).slice(0, limit);
  }
  async describeStackResources(): Promise<[]> {
    return [];
  }
  async createChangeSet(input: {
    stackName: string;
    changeSetName: string;
    source: StackInput['source'];
  }): Promise<string> {
    this.calls.push(`createChangeSet ${input.stackName}`);
    this.sources.push(input.source);
    const id = `arn:changeSet/${input.changeSetName}`;
    const empty = this.nextChanges.length === 0;
    this.changeSets.set(id, {
      id,
      stackName: input.stackName,
      status: empty ? 'FAILED' : 'CREATE_COMPLETE',
      ...(empty ? { statusReason: "The submitted information didn't contain changes." } : {}),
      changes: this.nextChanges,
    });
    return id;
  }
  async describeChangeSet(id: string): Promise<ChangeSetInfo> {
    const cs = this.changeSets.get(id);
    if (!cs) throw new AwsCallError('cloudformation:DescribeChangeSet', 'ChangeSetNotFound', id, undefined);
    return cs;
  }
  async executeChangeSet(id: string): Promise<void> {
    this.calls.push('executeChangeSet');
    const cs = this.changeSets.get(id);
    const s = cs && this.stacks.get(cs.stackName);
    if (s) s.script = ['UPDATE_IN_PROGRESS', 'UPDATE_COMPLETE'];
  }
  async deleteChangeSet(id: string): Promise<void> {
    this.calls.push('deleteChangeSet');
    this.changeSets.delete(id);
  }
}
