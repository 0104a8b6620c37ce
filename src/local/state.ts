import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The context (and cluster) name `tugboat local up` adds to the kubeconfig. */
export const LOCAL_CONTEXT = 'tugboat-local';

/** What `local up` started, so `local down` (or a second `up`) can find it. */
export interface LocalClusterState {
  readonly server: string;
  readonly runtime: 'docker' | 'process';
  readonly kubeconfigPath: string;
  readonly controlPlane: { readonly pid: number; readonly log: string };
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
