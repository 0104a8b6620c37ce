import {
  type CloudFormationClient,
  CreateChangeSetCommand,
  CreateStackCommand,
  DeleteChangeSetCommand,
  DeleteStackCommand,
  DescribeChangeSetCommand,
  DescribeStackResourcesCommand,
  DescribeStacksCommand,
  ExecuteChangeSetCommand,
  paginateDescribeStackEvents,
  paginateDescribeStacks,
  type Stack,
} from '@aws-sdk/client-cloudformation';
import { awsCall, isAwsError } from './errors.js';
import { collectPages } from './pages.js';
import { type Tags, tagsFromList, tagsToList } from './types.js';

/** What tugboat needs to know about a stack. */
export interface StackInfo {
  readonly id: string;
  readonly name: string;
  readonly status: string;
  readonly statusReason?: string;
  readonly outputs: Readonly<Record<string, string>>;
  readonly parameters: Readonly<Record<string, string>>;
  readonly tags: Tags;
}

/** One stack event, as DescribeStackEvents gives it. */
export interface StackEvent {
  readonly id: string;
  readonly timestamp: Date;
  readonly logicalId: string;
  readonly physicalId?: string;
  readonly resourceType: string;
  readonly status: string;
  readonly reason?: string;
}

/** One resource of a stack. */
export interface StackResource {
  readonly logicalId: string;
  readonly physicalId?: string;
  readonly resourceType: string;
  readonly status: string;
}

/** One resource change of a change set. */
export interface ResourceChange {
  /** `Add`, `Modify`, `Remove`, `Import`, `Dynamic`. */
  readonly action: string;
  readonly logicalId: string;
  readonly resourceType: string;
  /** For `Modify`: `True`, `False` or `Conditional`. */
  readonly replacement?: string;
}

/** A change set and its changes. */
export interface ChangeSetInfo {
  readonly id: string;
  readonly status: string;
  readonly statusReason?: string;
  readonly executionStatus?: string;
  readonly changes: readonly ResourceChange[];
}

/** Input for creating a stack or a change set. */
export interface StackInput {
  readonly stackName: string;
  /** The template inline (at most 51,200 bytes), or the S3 URL of a larger one (at most 1 MB). */
  readonly source: { readonly templateBody: string } | { readonly templateUrl: string };
  /** Every parameter value, explicitly (never UsePreviousValue). */
  readonly parameters: Readonly<Record<string, string>>;
  readonly tags: Tags;
}

/** The CloudFormation calls tugboat makes. */
export interface CloudFormationApi {
  /** The stack, or undefined when it does not exist. */
  describeStack(name: string): Promise<StackInfo | undefined>;
  /** Every live stack in the region. */
  listStacks(): Promise<StackInfo[]>;
  createStack(input: StackInput): Promise<string>;
  deleteStack(name: string): Promise<void>;
  /** Events newest first; at most `limit` of them. */
  describeStackEvents(name: string, limit?: number): Promise<StackEvent[]>;
  describeStackResources(name: string): Promise<StackResource[]>;
  createChangeSet(input: StackInput & { readonly changeSetName: string }): Promise<string>;
  describeChangeSet(id: string): Promise<ChangeSetInfo>;
  executeChangeSet(id: string): Promise<void>;
  deleteChangeSet(id: string): Promise<void>;
}

const CAPABILITIES = ['CAPABILITY_IAM', 'CAPABILITY_NAMED_IAM'] as const;

function params(values: Readonly<Record<string, string>>) {
  return Object.entries(values).map(([ParameterKey, ParameterValue]) => ({ ParameterKey, ParameterValue }));
}

function templateOf(input: StackInput) {
  return 'templateUrl' in input.source
    ? { TemplateURL: input.source.templateUrl }
    : { TemplateBody: input.source.templateBody };
}

function toStackInfo(s: Stack): StackInfo {
  const outputs: Record<string, string> = {};
  for (const o of s.Outputs ?? []) if (o.OutputKey) outputs[o.OutputKey] = o.OutputValue ?? '';
  const parameters: Record<string, string> = {};
  for (const p of s.Parameters ?? []) if (p.ParameterKey) parameters[p.ParameterKey] = p.ParameterValue ?? '';
  return {
    id: s.StackId ?? '',
    name: s.StackName ?? '',
    status: s.StackStatus ?? 'UNKNOWN',
    ...(s.StackStatusReason ? { statusReason: s.StackStatusReason } : {}),
    outputs,
    parameters,
    tags: tagsFromList(s.Tags),
  };
}

/** The CloudFormation API over the SDK client. */
export function sdkCloudFormation(client: CloudFormationClient, endpoint?: string): CloudFormationApi {
  const call = <T>(action: string, fn: () => Promise<T>) => awsCall(`cloudformation:${action}`, fn, endpoint);
  return {
    async describeStack(name) {
      try {
        const out = await client.send(new DescribeStacksCommand({ StackName: name }));
        const stack = out.Stacks?.find((s) => s.StackStatus !== 'DELETE_COMPLETE');
        return stack ? toStackInfo(stack) : undefined;
      } catch (err) {
        if (isAwsError(err, 'ValidationError') && /does not exist/i.test(String(err))) return undefined;
        return call('DescribeStacks', () => Promise.reject(err));
      }
    },
    async listStacks() {
      const stacks = await call('DescribeStacks', () =>
        collectPages(paginateDescribeStacks({ client }, {}), (out) => out.Stacks ?? []),
      );
      return stacks.filter((s) => s.StackStatus !== 'DELETE_COMPLETE').map(toStackInfo);
    },
    async createStack(input) {
      const out = await call('CreateStack', () =>
        client.send(
          new CreateStackCommand({
            StackName: input.stackName,
            ...templateOf(input),
            Parameters: params(input.parameters),
            Tags: tagsToList(input.tags),
            Capabilities: [...CAPABILITIES],
            OnFailure: 'ROLLBACK',
          }),
        ),
      );
      return out.StackId ?? input.stackName;
    },
    async deleteStack(name) {
      await call('DeleteStack', () => client.send(new DeleteStackCommand({ StackName: name })));
    },
    async describeStackEvents(name, limit = 200) {
      const events = await call('DescribeStackEvents', () =>
        collectPages(
          paginateDescribeStackEvents({ client }, { StackName: name }),
          (out) => out.StackEvents ?? [],
          limit,
        ),
      );
      return events.map(
        (e): StackEvent => ({
          id: e.EventId ?? '',
          timestamp: e.Timestamp ?? new Date(0),
          logicalId: e.LogicalResourceId ?? '',
          ...(e.PhysicalResourceId ? { physicalId: e.PhysicalResourceId } : {}),
          resourceType: e.ResourceType ?? '',
          status: e.ResourceStatus ?? '',
          ...(e.ResourceStatusReason ? { reason: e.ResourceStatusReason } : {}),
        }),
      );
    },
    async describeStackResources(name) {
      const out = await call('DescribeStackResources', () =>
        client.send(new DescribeStackResourcesCommand({ StackName: name })),
      );
      return (out.StackResources ?? []).map((r) => ({
        logicalId: r.LogicalResourceId ?? '',
        ...(r.PhysicalResourceId ? { physicalId: r.PhysicalResourceId } : {}),
        resourceType: r.ResourceType ?? '',
        status: r.ResourceStatus ?? '',
      }));
    },
    async createChangeSet(input) {
      const out = await call('CreateChangeSet', () =>
        client.send(
          new CreateChangeSetCommand({
            StackName: input.stackName,
            ChangeSetName: input.changeSetName,
            // Explicit UPDATE: moto treats a missing type as CREATE and makes a second stack.
            ChangeSetType: 'UPDATE',
            ...templateOf(input),
            Parameters: params(input.parameters),
            Tags: tagsToList(input.tags),
            Capabilities: [...CAPABILITIES],
          }),
        ),
      );
      return out.Id ?? input.changeSetName;
    },
    async describeChangeSet(id) {
      const out = await call('DescribeChangeSet', () =>
        client.send(new DescribeChangeSetCommand({ ChangeSetName: id })),
      );
      const changes: ResourceChange[] = [];
      for (const c of out.Changes ?? []) {
        const rc = c.ResourceChange;
        if (!rc) continue;
        changes.push({
          action: rc.Action ?? 'Unknown',
          logicalId: rc.LogicalResourceId ?? '',
          resourceType: rc.ResourceType ?? '',
          ...(rc.Replacement ? { replacement: rc.Replacement } : {}),
        });
      }
      return {
        id: out.ChangeSetId ?? id,
        status: out.Status ?? 'UNKNOWN',
        ...(out.StatusReason ? { statusReason: out.StatusReason } : {}),
        ...(out.ExecutionStatus ? { executionStatus: out.ExecutionStatus } : {}),
        changes,
      };
    },
    async executeChangeSet(id) {
      await call('ExecuteChangeSet', () => client.send(new ExecuteChangeSetCommand({ ChangeSetName: id })));
    },
    async deleteChangeSet(id) {
      await call('DeleteChangeSet', () => client.send(new DeleteChangeSetCommand({ ChangeSetName: id })));
    },
  };
}
