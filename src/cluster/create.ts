import { CLUSTER_TAG } from '../aws/types.js';
import type { ClusterBootstrapResult } from '../bootstrap/cluster-bootstrap.js';
import { runPhase, silentEvents } from '../events.js';
import { checkClusterName, stackNameOf } from '../naming.js';
import type { ClusterInstances } from '../provision/cluster-instances.js';
import { ensureKeyPair } from '../provision/keypair.js';
import { deployStack, type StackDeployResult } from '../provision/stack.js';
import { s3TemplateStore } from '../provision/template-store.js';
import { type BootstrapOption, prepareBootstrap } from './bootstrap-step.js';
import { publishHostBundle } from './bundle-step.js';
import { prepareEtcdFormation } from './etcd-formation-step.js';
import { checkEtcdStaging } from './etcd-release-upload.js';
import { uploadClusterSecrets } from './secrets-upload.js';
import { settleCluster } from './settle.js';
import { API_ENDPOINT_OUTPUT, type ClusterDefinition, type LifecycleOptions } from './types.js';
import { holdWorkerInstall, type WorkerInstallHold } from './worker-install-step.js';

/** Options of `createCluster`. */
export interface CreateClusterOptions extends LifecycleOptions {
  readonly definition: ClusterDefinition;
  /** Root of local state (SSH key). @default ~/.tugboat */
  readonly stateRoot?: string;
  /** Asked before replacing a stack left in ROLLBACK_COMPLETE. @default refuse */
  readonly confirmReplace?: (question: string) => Promise<boolean>;
  /**
   * The SSH bootstrap once the infrastructure is up: every host installed, every node Ready, the
   * kubeconfig written. `false` stops after the infrastructure. @default true (the bundle `npm run build` wrote)
   */
  readonly bootstrap?: BootstrapOption;
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
  readonly inventory: ClusterInstances;
  readonly bootstrapped: boolean;
  /** What the SSH bootstrap did (hosts, kubeconfig), when it ran. */
  readonly bootstrap?: ClusterBootstrapResult;
}

/**
 * Creates a cluster's infrastructure: key pair, stack, the cluster's secrets in SSM (the local CA
 * and admin credential, see secrets-upload.ts), EIP pool tags, then waits until every
 * auto-scaling group has its desired instances InService; then (unless `bootstrap` is false) the SSH bootstrap.
 * Idempotent: re-running (also after Ctrl-C) finishes whatever is missing.
 */
export async function createCluster(options: CreateClusterOptions): Promise<CreateClusterResult> {
  const { aws, definition } = options;
  const events = options.events ?? silentEvents;
  const cluster = checkClusterName(definition.name);
  const stackName = stackNameOf(cluster);
  // Before any AWS call: a missing bundle should not cost a stack.
  const step = prepareBootstrap(options.bootstrap, {
    skipReady: false,
    ssm: aws.ssm,
    ...(options.stateRoot ? { stateRoot: options.stateRoot } : {}),
    ...(definition.settings ? { settings: definition.settings } : {}),
  });
  checkEtcdStaging(definition.settings);
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
  // Before the stack, so no master boots before it: whether the SSH bootstrap forms etcd.
  await prepareEtcdFormation(aws.ssm, {
    cluster,
    etcd: definition.settings?.store === 'etcd',
    bootstrap: step !== undefined,
    newStack: !before || replaceAnswer,
    events,
  });
  // Likewise for the workers: while create installs them over SSH, their boots leave it to create
  // (one installer per host); with --no-bootstrap, or once create is done, they join by themselves.
  const workers = await holdWorkerInstall(aws.ssm, { cluster, bootstrap: step !== undefined, events });
  try {
    return await deployAndSettle(options, { cluster, stackName, step, keyPair, replaceAnswer, workers });
  } catch (err) {
    workers.abandon();
    throw err;
  }
}

/** What {@link createCluster} hands the part after the markers. */
interface CreateContext {
  readonly cluster: string;
  readonly stackName: string;
  readonly step: ReturnType<typeof prepareBootstrap>;
  readonly keyPair: Awaited<ReturnType<typeof ensureKeyPair>>;
  readonly replaceAnswer: boolean;
  readonly workers: WorkerInstallHold;
}

/** Bundle, stack, secrets, settle and bootstrap; releases the worker install marker once bootstrap is done. */
async function deployAndSettle(
  options: CreateClusterOptions,
  context: CreateContext,
): Promise<CreateClusterResult> {
  const { aws, definition, stateRoot } = options;
  const events = options.events ?? silentEvents;
  const signal = options.signal;
  const { cluster, stackName, step, keyPair, replaceAnswer } = context;
  const bundleParams = await publishHostBundle({ aws, cluster, definition, step, events, stateRoot });
  const deployed = await runPhase(events, 'stack', `CloudFormation stack ${stackName}`, () =>
    deployStack({
      cfn: aws.cloudFormation,
      events,
      stackName,
      template: definition.template,
      parameters: {
        ...definition.parameters,
        ...bundleParams,
        [definition.keyNameParameter ?? 'KeyName']: keyPair.keyName,
      },
      tags: { ...definition.tags, [CLUSTER_TAG]: cluster },
      ...(signal ? { signal } : {}),
      confirmReplace: async () => replaceAnswer,
      templateStore: s3TemplateStore({ aws, cluster, events }),
      ...(options.pollIntervalMs ? { pollIntervalMs: options.pollIntervalMs } : {}),
      ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
    }),
  );
  // Before any instance is bootstrapped: a master that boots from user-data reads these.
  await runPhase(events, 'secrets', 'cluster secrets in SSM', () =>
    uploadClusterSecrets({
      aws,
      cluster,
      events,
      outputs: deployed.stack.outputs,
      ...(options.stateRoot ? { stateRoot: options.stateRoot } : {}),
    }),
  );
  const withEips = await settleCluster({
    ...options,
    events,
    cluster,
    stack: deployed.stack,
    template: definition.template,
    eipGroups: definition.eipGroups ?? [],
    keyPair,
    bootstrap: step?.hook,
  });
  await context.workers.release();
  const bootstrapped = step?.result();
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
    bootstrapped: Boolean(step),
    ...(bootstrapped ? { bootstrap: bootstrapped } : {}),
  };
}
