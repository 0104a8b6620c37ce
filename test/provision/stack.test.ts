import { describe, expect, it } from 'vitest';
import { DeploymentError, RecordingEvents, UsageError } from '../../src/index.js';
import { deployStack } from '../../src/provision/stack.js';
import { resourcesMentioned, rootCauses } from '../../src/provision/stack-events.js';
import {
  applyStackUpdate,
  discardStackUpdate,
  planStackUpdate,
  summarizeChanges,
} from '../../src/provision/stack-update.js';
import type { StoredTemplate, TemplateStore } from '../../src/provision/template-store.js';
import { FakeCloudFormation } from '../support/fake-cloudformation.js';

const base = (cfn: FakeCloudFormation, events = new RecordingEvents()) => ({
  cfn,
  events,
  stackName: 'tugboat-demo',
  template: { Resources: {} },
  parameters: { KeyName: 'tugboat-demo' },
  tags: { 'tugboat:cluster': 'demo' },
  pollIntervalMs: 1,
});

const padded = (bytes: number) => ({
  Resources: { Pad: { Type: 'AWS::CloudFormation::WaitConditionHandle', Metadata: 'x'.repeat(bytes) } },
});

/** A template store that records what it was asked to do. */
class RecordingStore implements TemplateStore {
  readonly log: string[] = [];
  async put(body: string): Promise<StoredTemplate> {
    this.log.push(`put ${Math.floor(Buffer.byteLength(body) / 1000)}`);
    const key = `demo/${this.log.length}.json`;
    return {
      url: `https://b.s3.us-east-1.amazonaws.com/${key}`,
      bucket: 'b',
      key,
      remove: async () => {
        this.log.push(`remove ${key}`);
      },
    };
  }
}

describe('deployStack', () => {
  it('creates a stack, streams its events once each, and reports created', async () => {
    const cfn = new FakeCloudFormation();
    const events = new RecordingEvents();
    const result = await deployStack(base(cfn, events));
    expect(result.action).toBe('created');
    const stackEvents = events.events.filter((e) => e.code === 'stack.event').map((e) => e.data?.status);
    expect(stackEvents).toEqual(['CREATE_IN_PROGRESS', 'CREATE_COMPLETE']);
  });

  it('leaves an existing complete stack alone (create is idempotent)', async () => {
    const cfn = new FakeCloudFormation();
    cfn.seed('tugboat-demo', 'CREATE_COMPLETE');
    const result = await deployStack(base(cfn));
    expect(result.action).toBe('exists');
    expect(cfn.calls.filter((c) => c.startsWith('createStack'))).toEqual([]);
  });

  it('reports the first FAILED resource events as the root cause, not the cancelled ones', async () => {
    const cfn = new FakeCloudFormation();
    cfn.nextCreateScript = ['CREATE_IN_PROGRESS', 'ROLLBACK_IN_PROGRESS', 'ROLLBACK_COMPLETE'];
    cfn.failures = [
      { logicalId: 'MasterLaunchTemplate', resourceType: 'AWS::EC2::LaunchTemplate', reason: 'bad ami' },
    ];
    const err = await deployStack(base(cfn)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeploymentError);
    const message = (err as Error).message;
    expect(message).toContain('stack tugboat-demo failed (ROLLBACK_COMPLETE)');
    expect(message).toContain('MasterLaunchTemplate (AWS::EC2::LaunchTemplate) CREATE_FAILED: bad ami');
    expect(message).not.toContain('Resource creation cancelled');
    expect(message).toContain('next: fix the cluster spec');
  });

  it('refuses to replace a ROLLBACK_COMPLETE stack unless confirmed, then replaces it', async () => {
    const cfn = new FakeCloudFormation();
    cfn.seed('tugboat-demo', 'ROLLBACK_COMPLETE');
    await expect(deployStack(base(cfn))).rejects.toBeInstanceOf(UsageError);
    expect(cfn.calls.filter((c) => c.startsWith('deleteStack'))).toEqual([]);

    const questions: string[] = [];
    const result = await deployStack({
      ...base(cfn),
      confirmReplace: async (q) => {
        questions.push(q);
        return true;
      },
    });
    expect(questions[0]).toContain('ROLLBACK_COMPLETE');
    expect(result.action).toBe('replaced');
    expect(cfn.calls.filter((c) => /^(deleteStack|createStack)/.test(c))).toEqual([
      'deleteStack tugboat-demo',
      'createStack tugboat-demo',
    ]);
  });

  it('refuses a template above the inline limit when no store is given, before calling CreateStack', async () => {
    const cfn = new FakeCloudFormation();
    const err = await deployStack({ ...base(cfn), template: padded(60_000) }).catch((e: unknown) => e);
    expect((err as DeploymentError).code).toBe('TEMPLATE_TOO_LARGE');
    expect((err as Error).message).toMatch(/is 60\d{3} bytes, above CloudFormation's inline limit of 51200/);
    expect(cfn.calls.filter((c) => c.startsWith('createStack'))).toEqual([]);
  });

  it('passes a large template by URL and removes the staged copy after the create, also when it fails', async () => {
    for (const script of [undefined, ['CREATE_IN_PROGRESS', 'ROLLBACK_IN_PROGRESS', 'ROLLBACK_COMPLETE']]) {
      const cfn = new FakeCloudFormation();
      if (script) cfn.nextCreateScript = script;
      const store = new RecordingStore();
      await deployStack({ ...base(cfn), template: padded(60_000), templateStore: store }).catch(
        () => undefined,
      );
      expect(cfn.sources).toEqual([{ templateUrl: 'https://b.s3.us-east-1.amazonaws.com/demo/1.json' }]);
      expect(store.log).toEqual(['put 60', 'remove demo/1.json']);
    }
  });

  it('refuses a template above the 1 MB TemplateURL limit without uploading it', async () => {
    const store = new RecordingStore();
    const err = await deployStack({
      ...base(new FakeCloudFormation()),
      template: padded(1_100_000),
      templateStore: store,
    }).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/above CloudFormation's limit of 1000000/);
    expect(store.log).toEqual([]);
  });

  it('waits for a stack that is still in progress instead of creating another', async () => {
    const cfn = new FakeCloudFormation();
    cfn.seed('tugboat-demo', 'CREATE_IN_PROGRESS', ['CREATE_IN_PROGRESS', 'CREATE_COMPLETE']);
    const result = await deployStack(base(cfn));
    expect(result.action).toBe('exists');
    expect(result.stack.status).toBe('CREATE_COMPLETE');
    expect(cfn.calls.filter((c) => c.startsWith('createStack'))).toEqual([]);
  });
});

describe('stack updates', () => {
  it('groups changes into add / modify / replace / remove', () => {
    const s = summarizeChanges([
      { action: 'Add', logicalId: 'A', resourceType: 'T' },
      { action: 'Modify', logicalId: 'B', resourceType: 'T', replacement: 'False' },
      { action: 'Modify', logicalId: 'C', resourceType: 'T', replacement: 'True' },
      { action: 'Modify', logicalId: 'D', resourceType: 'T', replacement: 'Conditional' },
      { action: 'Remove', logicalId: 'E', resourceType: 'T' },
    ]);
    expect([s.add, s.modify, s.replace, s.remove].map((l) => l.map((c) => c.logicalId))).toEqual([
      ['A'],
      ['B'],
      ['C', 'D'],
      ['E'],
    ]);
  });

  it('reports an empty change set as unchanged and cleans it up', async () => {
    const cfn = new FakeCloudFormation();
    cfn.seed('tugboat-demo', 'CREATE_COMPLETE');
    const plan = await planStackUpdate(base(cfn));
    expect(plan.kind).toBe('unchanged');
    expect(cfn.calls).toContain('deleteChangeSet');
  });

  it('discards a declined plan without executing it', async () => {
    const cfn = new FakeCloudFormation();
    cfn.seed('tugboat-demo', 'CREATE_COMPLETE');
    cfn.nextChanges = [{ action: 'Modify', logicalId: 'Workers', resourceType: 'T', replacement: 'True' }];
    const plan = await planStackUpdate(base(cfn));
    expect(plan.kind === 'changes' && plan.changes.replace.map((c) => c.logicalId)).toEqual(['Workers']);
    await discardStackUpdate(base(cfn), plan);
    expect(cfn.calls).toContain('deleteChangeSet');
    expect(cfn.calls).not.toContain('executeChangeSet');
  });

  it('passes a large template to the change set by URL and removes it when the plan ends', async () => {
    for (const ending of ['unchanged', 'discarded', 'applied'] as const) {
      const cfn = new FakeCloudFormation();
      cfn.seed('tugboat-demo', 'CREATE_COMPLETE');
      if (ending !== 'unchanged') {
        cfn.nextChanges = [{ action: 'Modify', logicalId: 'W', resourceType: 'T', replacement: 'False' }];
      }
      const store = new RecordingStore();
      const options = { ...base(cfn), template: padded(60_000), templateStore: store };
      const plan = await planStackUpdate(options);
      expect(cfn.sources).toEqual([{ templateUrl: 'https://b.s3.us-east-1.amazonaws.com/demo/1.json' }]);
      if (ending === 'unchanged') expect(plan.kind).toBe('unchanged');
      else expect(store.log, 'kept until the change set is applied or discarded').toEqual(['put 60']);
      if (ending === 'discarded') await discardStackUpdate(options, plan);
      if (ending === 'applied')
        expect((await applyStackUpdate(options, plan)).status).toBe('UPDATE_COMPLETE');
      expect(store.log, ending).toEqual(['put 60', 'remove demo/1.json']);
    }
  });

  it('refuses to update a stack that does not exist, saying how to create it', async () => {
    await expect(planStackUpdate(base(new FakeCloudFormation()))).rejects.toThrow(/tugboat create/);
  });
});

describe('root causes', () => {
  it('falls back to cancelled failures when nothing else failed', () => {
    const t = new Date();
    const causes = rootCauses(
      [
        {
          id: '1',
          timestamp: t,
          logicalId: 'X',
          resourceType: 'T',
          status: 'CREATE_FAILED',
          reason: 'Resource creation cancelled',
        },
      ],
      'tugboat-demo',
    );
    expect(causes.map((c) => c.logicalId)).toEqual(['X']);
  });

  it('finds the resources that use a value quoted in a synchronous error', () => {
    const template = {
      Resources: {
        SubnetA: { Type: 'AWS::EC2::Subnet', Properties: { CidrBlock: '192.168.0.0/24' } },
        Vpc: { Type: 'AWS::EC2::VPC', Properties: { CidrBlock: '10.0.0.0/16' } },
      },
    };
    const found = resourcesMentioned(template, "The CIDR '192.168.0.0/24' is invalid.");
    expect(found.map((f) => `${f.logicalId} ${f.resourceType}`)).toEqual(['SubnetA AWS::EC2::Subnet']);
    expect(resourcesMentioned(template, 'no quoted value here')).toEqual([]);
  });
});
