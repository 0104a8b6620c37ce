import type { StackInfo } from '../aws/cloudformation.js';
import { CLUSTER_TAG } from '../aws/types.js';
import { type EventSink, runPhase, silentEvents } from '../events.js';
import { assignEips, ensurePoolTags } from '../provision/eip.js';
import { buildInventory, type Inventory, waitForGroups } from '../provision/inventory.js';
import { ensureKeyPair, type KeyPairResult } from '../provision/keypair.js';
import { deployStack, type StackDeployResult } from '../provision/stack.js';
import { s3TemplateStore } from '../provision/template-store.js';
import {
  API_ENDPOINT_OUTPUT,
  type ClusterDefinition,
  checkClusterName,
  type LifecycleOptions,
  stackNameOf,
} from './types.js';

/** What the bootstrap phase receives once the infrastructure is up. */
export interface BootstrapContext {
  readonly cluster: string;
  readonly inventory: Inventory;
  readonly keyPair: KeyPairResult;
  readonly stack: StackInfo;
  readonly events: EventSink;
  readonly signal?: AbortSignal;
}

/** Options of `createCluster`. */
export interface CreateClusterOptions extends LifecycleOptions {
  readonly definition: ClusterDefinition;
  /** Root of local state (SSH key). @default ~/.tugboat */
  readonly stateRoot?: string;
  /** Asked before replacing a stack left in ROLLBACK_COMPLETE. @default refuse */
  readonly confirmReplace?: (question: string) => Promise<boolean>;
  /** Runs after the infrastructure is up (SSH bootstrap). @default none: stop after infrastructure */
  readonly bootstrap?: (context: BootstrapContext) => Promise<void>;
}

/** What `createCluster` did. */
export interface CreateClusterResult {
  readonly cluster: string;
  readonly stackName: string;
  readonly stackAction: StackDeployResult['action'];
  readonly stackStatus: string;
  readonly outputs: Readonly<Record<string, string>>;
  readonly keyName: string;
  readonly privateKeyPath?: string;
  readonly apiEndpoint?: string;
  readonly inventory: Inventory;
  readonly bootstrapped: boolean;
}

/**
 * Creates a cluster's infrastructure: key pair, stack, EIP pool tags, then waits until every
 * auto-scaling group has its desired instances InService; then the optional bootstrap hook.
 * Idempotent: re-running (also after Ctrl-C) finishes whatever is missing.
 */
export async function createCluster(options: CreateClusterOptions): Promise<CreateClusterResult> {
  const { aws, definition } = options;
  const events = options.events ?? silentEvents;
  const cluster = checkClusterName(definition.name);
  const stackName = stackNameOf(cluster);
  const signal = options.signal;
  const keyPair = await runPhase(events, 'keypair', 'SSH key pair', () =>
    ensureKeyPair({
      ec2: aws.ec2,
      events,
      cluster,
      ...(definition.publicKeyFile ? { publicKeyFile: definition.publicKeyFile } : {}),
      ...(options.stateRoot ? { stateRoot: options.stateRoot } : {}),
    }),
  );
  // Ask about replacing a failed stack before the stack phase starts, so the question never
  // competes with a progress display.
  const before = await aws.cloudFormation.describeStack(stackName);
  const replaceAnswer =
    before && /^ROLLBACK_(COMPLETE|FAILED)$/.test(before.status) && options.confirmReplace
      ? await options.confirmReplace(
          `stack ${stackName} is in ${before.status} from a failed create; delete it and create again?`,
        )
      : false;
  const deployed = await runPhase(events, 'stack', `CloudFormation stack ${stackName}`, () =>
    deployStack({
      cfn: aws.cloudFormation,
      events,
      stackName,
      template: definition.template,
      parameters: { ...definition.parameters, [definition.keyNameParameter ?? 'KeyName']: keyPair.keyName },
      tags: { ...definition.tags, [CLUSTER_TAG]: cluster },
      ...(signal ? { signal } : {}),
      confirmReplace: async () => replaceAnswer,
      templateStore: s3TemplateStore({ aws, cluster, events }),
      ...(options.pollIntervalMs ? { pollIntervalMs: options.pollIntervalMs } : {}),
      ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
    }),
  );
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
  const withEips = eipGroups.length
    ? await runPhase(events, 'eips', 'associate pool EIPs', async () => {
        await assignEips({
          ec2: aws.ec2,
          autoScaling: aws.autoScaling,
          cluster,
          events,
          groups: eipGroups,
          ...(signal ? { signal } : {}),
        });
        return buildInventory({ ec2: aws.ec2, autoScaling: aws.autoScaling, cluster });
      })
    : inventory;
  if (options.bootstrap) {
    const bootstrap = options.bootstrap;
    await runPhase(events, 'bootstrap', 'bootstrap', () =>
      bootstrap({
        cluster,
        inventory: withEips,
        keyPair,
        stack: deployed.stack,
        events,
        ...(signal ? { signal } : {}),
      }),
    );
  }
  const apiEndpoint = deployed.stack.outputs[API_ENDPOINT_OUTPUT];
  return {
    cluster,
    stackName,
    stackAction: deployed.action,
    stackStatus: deployed.stack.status,
    outputs: deployed.stack.outputs,
    keyName: keyPair.keyName,
    ...(keyPair.privateKeyPath ? { privateKeyPath: keyPair.privateKeyPath } : {}),
    ...(apiEndpoint ? { apiEndpoint } : {}),
    inventory: withEips,
    bootstrapped: Boolean(options.bootstrap),
  };
}
