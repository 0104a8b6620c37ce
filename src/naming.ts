/**
 * Names tugboat derives from a cluster name and where it keeps local state: the one home of the
 * cluster-name rule (the spec schema and every lifecycle entry point check the same thing), the
 * stack and key pair names, and the state directory (`TUGBOAT_STATE_DIR` is read here and only here).
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import { UsageError } from './errors.js';

/** Longest cluster name: `tugboat-<name>` must fit stack, key pair and DNS label limits with room to spare. */
export const CLUSTER_NAME_MAX = 32;

/** DNS-safe name: lowercase letters, digits and dashes, starting with a letter, not ending with a dash. */
export const DNS_NAME_PATTERN = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

/** Returns `name` when it is a valid cluster name, else throws a UsageError saying the rule. */
export function checkClusterName(name: string): string {
  if (name.length > CLUSTER_NAME_MAX || !DNS_NAME_PATTERN.test(name)) {
    throw new UsageError(
      `cluster name "${name}" is invalid: use at most ${CLUSTER_NAME_MAX} lowercase letters, digits and dashes, starting with a letter and not ending with a dash`,
    );
  }
  return name;
}

/** The CloudFormation stack name of a cluster. */
export function stackNameOf(cluster: string): string {
  return `tugboat-${cluster}`;
}

/** The EC2 key pair name of a cluster (the same string as its stack: one name to look for). */
export function keyPairName(cluster: string): string {
  return stackNameOf(cluster);
}

/**
 * The root of tugboat's local state: `$TUGBOAT_STATE_DIR`, else the deprecated `$TUGBOAT_HOME`
 * (reported through `warn`), else `~/.tugboat`.
 */
export function stateRoot(env: NodeJS.ProcessEnv = process.env, warn?: (message: string) => void): string {
  if (env.TUGBOAT_STATE_DIR) return env.TUGBOAT_STATE_DIR;
  if (env.TUGBOAT_HOME) {
    warn?.(`TUGBOAT_HOME is deprecated: set TUGBOAT_STATE_DIR=${env.TUGBOAT_HOME} instead`);
    return env.TUGBOAT_HOME;
  }
  return join(env.HOME || homedir(), '.tugboat');
}

/** Where a cluster's local state lives (SSH key, CA, known_hosts, kubeconfig). @default ~/.tugboat/<cluster> */
export function clusterStateDir(cluster: string, root: string = stateRoot()): string {
  return join(root, cluster);
}

/** Where `tugboat local` keeps its cluster: `<state root>/local`. */
export function localStateDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(stateRoot(env), 'local');
}
