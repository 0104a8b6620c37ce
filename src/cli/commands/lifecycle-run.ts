import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { AbortError } from '../../errors.js';
import {
  bootstrapCluster,
  buildClusterDefinition,
  buildClusterSettings,
  type ClusterBootstrapResult,
  type ClusterDefinition,
  type ClusterSettings,
  type ClusterSpec,
  type CreateClusterOptions,
  createCluster,
  defaultKubeconfigPath,
  deleteCluster,
  loadClusterSpec,
  updateCluster,
} from '../../index.js';
import type { AwsFlags } from '../aws-flags.js';
import { withAwsSession } from '../aws-session.js';
import { confirm } from '../confirm.js';
import type { CliIO, GlobalOptions } from '../context.js';
import { printResult } from '../context.js';
import {
  renderChanges,
  renderDeletePlan,
  renderDeleteResult,
  renderGroups,
  renderHosts,
} from '../format-cluster.js';

/** Flags of create and update. */
export interface SpecFlags extends AwsFlags {
  readonly file: string;
  readonly yes?: boolean;
  readonly bootstrap?: boolean;
  readonly trustNewHosts?: boolean;
  readonly bundle?: string;
}

/** `~/x` → home; a relative path is relative to the spec file, like every path in a spec. */
function specPath(io: CliIO, specFile: string, path: string): string {
  if (path === '~' || path.startsWith('~/')) return join(io.env.HOME || homedir(), path.slice(1));
  return resolve(dirname(specFile), path);
}

async function loadDefinition(
  io: CliIO,
  file: string,
): Promise<{ definition: ClusterDefinition; region: string; spec: ClusterSpec }> {
  const specFile = resolve(io.cwd, file);
  const spec = await loadClusterSpec(specFile);
  const definition = buildClusterDefinition(spec);
  const keyFile = definition.publicKeyFile;
  return {
    definition: keyFile ? { ...definition, publicKeyFile: specPath(io, specFile, keyFile) } : definition,
    region: spec.region,
    spec,
  };
}

/** What a bootstrap hook did. */
export interface BootstrapHook {
  readonly bootstrap: NonNullable<CreateClusterOptions['bootstrap']>;
  /** The kubeconfig the cluster's context was merged into, once the hook ran. */
  mergedInto(): string | undefined;
  /** Per-host results (JSON output), once the hook ran. */
  hosts(): readonly { host: string; ok: boolean; action: string }[];
}

/**
 * The SSH bootstrap create, update and scale run once their instances are settled (undefined with
 * --no-bootstrap). `skipReady`: leave the control plane and Ready nodes alone, so only the
 * instances the command added are bootstrapped.
 */
export async function bootstrapHook(
  io: CliIO,
  flags: { readonly bootstrap?: boolean; readonly bundle?: string; readonly trustNewHosts?: boolean },
  settings: ClusterSettings,
  skipReady: boolean,
): Promise<BootstrapHook | undefined> {
  if (flags.bootstrap === false) return undefined;
  const { loadBundle } = await import('./bootstrap-run.js');
  const bundle = loadBundle(io, flags.bundle);
  const stateRoot = io.env.TUGBOAT_STATE_DIR;
  let done: ClusterBootstrapResult | undefined;
  return {
    bootstrap: async (context) => {
      done = await bootstrapCluster({
        ...context,
        bundle,
        user: settings.sshUser,
        address: settings.sshAddress,
        groupLabels: settings.groupLabels,
        ...(settings.podNetwork ? { podNetwork: settings.podNetwork } : {}),
        trustNewHosts: Boolean(flags.trustNewHosts),
        skipReady,
        mergeKubeconfigInto: defaultKubeconfigPath(io.env, io.env.HOME || homedir()),
        ...(stateRoot ? { stateRoot } : {}),
      });
    },
    mergedInto: () => done?.mergedInto,
    hosts: () =>
      (done?.hosts ?? []).map((h) => ({ host: h.host, ok: h.ok, action: h.ok ? h.value.action : 'failed' })),
  };
}

/** `tugboat create -f FILE`. */
export async function runCreate(io: CliIO, globals: GlobalOptions, flags: SpecFlags): Promise<number> {
  const { definition, region, spec } = await loadDefinition(io, flags.file);
  // Made before any AWS call: a missing bundle should not cost a stack.
  const hook = await bootstrapHook(io, flags, buildClusterSettings(spec), false);
  const result = await withAwsSession(io, globals, flags, region, (s) =>
    createCluster({
      aws: s.aws,
      events: s.events,
      signal: s.signal,
      definition,
      confirmReplace: async (question) => {
        await s.settle();
        return confirm(io, question, Boolean(flags.yes));
      },
      ...(io.env.TUGBOAT_STATE_DIR ? { stateRoot: io.env.TUGBOAT_STATE_DIR } : {}),
      ...(hook ? { bootstrap: hook.bootstrap } : {}),
    }),
  );
  const kubeconfig = hook?.mergedInto();
  const { inventory, ...rest } = result;
  printResult(
    io,
    globals,
    {
      ...rest,
      region,
      kubeconfig: kubeconfig ?? null,
      groups: inventory.groups.map(({ hosts, ...g }) => g),
      hosts: inventory.hosts,
    },
    () =>
      [
        `cluster ${result.cluster}: stack ${result.stackName} ${result.stackAction} (${result.stackStatus})`,
        ...(result.apiEndpoint ? [`api endpoint: ${result.apiEndpoint}`] : []),
        ...(result.privateKeyPath ? [`ssh key: ${result.privateKeyPath}`] : []),
        '',
        renderGroups(inventory.groups),
        '',
        renderHosts(inventory.hosts),
        ...(kubeconfig ? ['', `kubeconfig: context ${result.cluster} merged into ${kubeconfig}`] : []),
        ...(result.bootstrapped ? [] : ['', 'infrastructure is ready (no bootstrap in this run)']),
      ].join('\n'),
  );
  return 0;
}

/** `tugboat update -f FILE`. */
export async function runUpdate(io: CliIO, globals: GlobalOptions, flags: SpecFlags): Promise<number> {
  const { definition, region, spec } = await loadDefinition(io, flags.file);
  const hook = await bootstrapHook(io, flags, buildClusterSettings(spec), true);
  const result = await withAwsSession(io, globals, flags, region, (s) =>
    updateCluster({
      ...(io.env.TUGBOAT_STATE_DIR ? { stateRoot: io.env.TUGBOAT_STATE_DIR } : {}),
      ...(hook ? { bootstrap: hook.bootstrap } : {}),
      aws: s.aws,
      events: s.events,
      signal: s.signal,
      definition,
      confirmChanges: async (changes) => {
        await s.settle();
        io.stderr(`${renderChanges(changes)}\n`);
        return confirm(io, `apply these changes to cluster ${definition.name}?`, Boolean(flags.yes));
      },
    }),
  );
  const { inventory, ...rest } = result;
  printResult(
    io,
    globals,
    {
      ...rest,
      ...(inventory ? { groups: inventory.groups.map(({ hosts, ...g }) => g) } : {}),
      bootstrapped: hook?.hosts() ?? [],
    },
    () =>
      result.action === 'updated'
        ? `cluster ${result.cluster} updated\n\n${inventory ? renderGroups(inventory.groups) : ''}`
        : result.action === 'unchanged'
          ? `cluster ${result.cluster}: no changes`
          : `cluster ${result.cluster}: update declined, nothing changed`,
  );
  return result.action === 'declined' ? 1 : 0;
}

/** Flags of delete. */
export interface DeleteFlags extends AwsFlags {
  readonly yes?: boolean;
}

/** `tugboat delete NAME`: plan, confirm, delete, sweep, prove. Exit 3 when anything remains. */
export async function runDelete(
  io: CliIO,
  globals: GlobalOptions,
  name: string,
  flags: DeleteFlags,
): Promise<number> {
  const result = await withAwsSession(io, globals, flags, undefined, (s) =>
    deleteCluster({
      aws: s.aws,
      events: s.events,
      signal: s.signal,
      cluster: name,
      confirm: async (plan) => {
        await s.settle();
        io.stderr(`${renderDeletePlan(plan)}\n`);
        return confirm(io, `delete cluster ${name}?`, Boolean(flags.yes));
      },
    }),
  ).catch((err: unknown) => {
    if (err instanceof AbortError) {
      throw new AbortError(`delete of ${name} interrupted: run \`tugboat delete ${name}\` again to finish`);
    }
    throw err;
  });
  printResult(io, globals, result, () => renderDeleteResult(result));
  if (result.declined) return 1;
  return result.clean ? 0 : 3;
}
