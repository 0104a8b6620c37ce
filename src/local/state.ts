import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { KubeconfigLocation } from '../pki/index.js';
import type { LocalPodNetworkState } from './pod-network.js';

/** The context (and cluster) name `tugboat local up` adds to the kubeconfig. */
export const LOCAL_CONTEXT = 'tugboat-local';

/** What `local up` started, so `local down` (or a second `up`) can find it. */
export interface LocalClusterState {
  readonly server: string;
  readonly runtime: 'docker' | 'process';
  /** The kubeconfig file that holds the context. */
  readonly kubeconfigPath: string;
  /** `up` was given this file (`--kubeconfig`): `down` edits only it, not kubectl's list. */
  readonly kubeconfigExplicit?: boolean;
  readonly controlPlane: { readonly pid: number; readonly log: string };
  /** The pod network's bridges and range (docker runtime); absent: Docker's default bridge. */
  readonly podNetwork?: LocalPodNetworkState;
  readonly nodes: readonly { readonly name: string; readonly pid: number; readonly log: string }[];
}

export function stateFile(dir: string): string {
  return join(dir, 'state.json');
}

export function readLocalState(dir: string): LocalClusterState | undefined {
  const file = stateFile(dir);
  if (!existsSync(file)) return undefined;
  return JSON.parse(readFileSync(file, 'utf8')) as LocalClusterState;
}

export function writeLocalState(dir: string, state: LocalClusterState): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  writeFileSync(stateFile(dir), `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
}

/** Where `local up` and `down` find the kubeconfig: the given file, else kubectl's files from `env`. */
export function kubeconfigAt(env: NodeJS.ProcessEnv, explicit?: string): KubeconfigLocation {
  return { env, home: env.HOME || homedir(), ...(explicit ? { explicit } : {}) };
}
