import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { StackInfo } from '../aws/cloudformation.js';
import type { BootstrapContext } from '../bootstrap/cluster-bootstrap.js';
import { DeploymentError } from '../errors.js';
import { runPhase, silentEvents } from '../events.js';
import { clusterStateDir, keyPairName, stackNameOf } from '../naming.js';
import { assignEips, ensurePoolTags } from '../provision/eip.js';
import { buildInventory, type Inventory, waitForGroups } from '../provision/inventory.js';
import type { KeyPairResult } from '../provision/keypair.js';
import type { LifecycleOptions } from './types.js';

/** Options of {@link settleCluster}. */
export interface SettleClusterOptions extends LifecycleOptions {
  readonly cluster: string;
  /** The stack as deployed (handed to the bootstrap hook; required with one). @default none */
  readonly stack?: StackInfo;
  /** The deployed template: its pool EIPs get their tags where the emulator dropped them. @default no tagging */
  readonly template?: object;
  /** Groups whose instances take pool EIPs (`master` for the master). @default none */
  readonly eipGroups?: readonly string[];
  /** The cluster's key pair (the bootstrap logs in with it). */
  readonly keyPair: KeyPairResult;
  /** Runs last, with the final inventory (SSH bootstrap). @default none */
  readonly bootstrap?: (context: BootstrapContext) => Promise<void>;
}

/**
 * What create, update and scale do once the stack (or a group's size) has changed: tag the pool
 * EIPs, wait until every group has its desired instances InService, give the EIP groups' new
 * instances pool addresses, then run the bootstrap hook. Each step is idempotent.
 */
export async function settleCluster(options: SettleClusterOptions): Promise<Inventory> {
  const { aws, cluster, signal } = options;
  const events = options.events ?? silentEvents;
  if (options.template) {
    await ensurePoolTags({
      cfn: aws.cloudFormation,
      ec2: aws.ec2,
      stackName: stackNameOf(cluster),
      template: options.template,
      cluster,
    });
  }
  const waited = await runPhase(events, 'instances', 'instances InService', () =>
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
  const eipGroups = options.eipGroups ?? [];
  // New or replaced instances have no pool address yet.
  const inventory = eipGroups.length
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
    : waited;
  const hook = options.bootstrap;
  const stack = options.stack;
  if (hook) {
    if (!stack)
      throw new DeploymentError('NO_STACK', `stack ${stackNameOf(cluster)} not found: run tugboat create`);
    await runPhase(events, 'bootstrap', 'bootstrap', () =>
      hook({
        cluster,
        inventory,
        keyPair: options.keyPair,
        stack,
        events,
        ...(signal ? { signal } : {}),
      }),
    );
  }
  return inventory;
}

/**
 * The key pair of a cluster that already exists, from local state: the private key tugboat
 * generated (`<state>/<cluster>/id_ed25519`) when it is there, else the ssh-agent's keys.
 */
export function localKeyPair(cluster: string, stateRoot?: string): KeyPairResult {
  const path = join(clusterStateDir(cluster, stateRoot), 'id_ed25519');
  return {
    keyName: keyPairName(cluster),
    imported: false,
    ...(existsSync(path) ? { privateKeyPath: path } : {}),
  };
}
