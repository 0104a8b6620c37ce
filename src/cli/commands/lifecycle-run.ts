import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { AbortError } from '../../errors.js';
import {
  type BootstrapSettings,
  buildClusterDefinition,
  type ClusterBootstrapResult,
  type ClusterDefinition,
  createCluster,
  deleteCluster,
  loadHostBundle,
  updateCluster,
} from '../../index.js';
import type { AwsFlags } from '../support/aws-flags.js';
import { withAwsSession } from '../support/aws-session.js';
import { confirm } from '../support/confirm.js';
import type { CliIO, GlobalOptions } from '../support/context.js';
import { cliStateRoot, EXIT_DECLINED } from '../support/context.js';
import {
  renderChanges,
  renderDeletePlan,
  renderDeleteResult,
  renderGroups,
  renderHosts,
} from '../support/format-cluster.js';
import {
  addToUserKubeconfig,
  type KubeconfigFlags,
  removeFromUserKubeconfig,
  renderKubeconfigRemoval,
} from '../support/kubeconfig-flags.js';
import { printResult } from '../support/output.js';
import { loadSpecArg, STDIN_NAME } from '../support/spec-input.js';
import { sweepTimingFromEnv } from '../support/sweep-timing.js';

/** Flags of create and update. */
export interface SpecFlags extends AwsFlags, KubeconfigFlags {
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
): Promise<{ definition: ClusterDefinition; region: string }> {
  const { spec, path } = await loadSpecArg(io, file);
  const definition = buildClusterDefinition(spec);
  const keyFile = definition.publicKeyFile;
  // A spec from stdin has no directory of its own: its relative paths start at the working directory.
  const specFile = path ?? join(io.cwd, STDIN_NAME);
  return {
    definition: keyFile ? { ...definition, publicKeyFile: specPath(io, specFile, keyFile) } : definition,
    region: spec.region,
  };
}

/**
 * The `bootstrap` option create, update and scale get from their flags: false with --no-bootstrap,
 * else the SSH bootstrap with --bundle (loaded now, before any AWS call) and --trust-new-hosts.
 * The CLI merges the cluster's kubeconfig into the user's itself, with kubectl's rules for
 * `$KUBECONFIG` lists (see addToUserKubeconfig).
 */
export function bootstrapOption(
  io: CliIO,
  flags: { readonly bootstrap?: boolean; readonly bundle?: string; readonly trustNewHosts?: boolean },
): false | BootstrapSettings {
  if (flags.bootstrap === false) return false;
  return {
    bundle: loadHostBundle(flags.bundle ? resolve(io.cwd, flags.bundle) : undefined),
    trustNewHosts: Boolean(flags.trustNewHosts),
  };
}

/** Per-host results of a bootstrap for JSON output (never the kubeconfig: it holds the admin key). */
export function bootstrappedHosts(
  result: ClusterBootstrapResult | undefined,
): { host: string; ok: boolean; action: string }[] {
  return (result?.hosts ?? []).map((h) => ({
    host: h.host,
    ok: h.ok,
    action: h.ok ? h.value.action : 'failed',
  }));
}

/** `tugboat create -f FILE`. */
export async function runCreate(io: CliIO, globals: GlobalOptions, flags: SpecFlags): Promise<number> {
  const { definition, region } = await loadDefinition(io, flags.file);
  // Made before any AWS call: a missing bundle should not cost a stack.
  const bootstrap = bootstrapOption(io, flags);
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
      stateRoot: cliStateRoot(io),
      bootstrap,
    }),
  );
  const merged = result.bootstrap
    ? await addToUserKubeconfig(io, flags, result.bootstrap.kubeconfig)
    : undefined;
  const kubeconfig = merged?.file;
  const { inventory, bootstrap: _secret, ...rest } = result;
  printResult(
    io,
    globals,
    {
      ...rest,
      region,
      kubeconfig: kubeconfig ?? null,
      context: merged ? { name: merged.context, current: merged.current } : null,
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
        ...(merged
          ? [
              '',
              `kubeconfig: context ${merged.context} merged into ${merged.file}${merged.current ? ' and made current' : ''}`,
            ]
          : []),
        ...(result.bootstrapped ? [] : ['', 'infrastructure is ready (no bootstrap in this run)']),
      ].join('\n'),
  );
  return 0;
}

/** `tugboat update -f FILE`. */
export async function runUpdate(io: CliIO, globals: GlobalOptions, flags: SpecFlags): Promise<number> {
  const { definition, region } = await loadDefinition(io, flags.file);
  const bootstrap = bootstrapOption(io, flags);
  const result = await withAwsSession(io, globals, flags, region, (s) =>
    updateCluster({
      stateRoot: cliStateRoot(io),
      bootstrap,
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
  const { inventory, bootstrap: done, ...rest } = result;
  // New credentials for an existing context; which context is current stays the user's choice.
  if (done) await addToUserKubeconfig(io, flags, done.kubeconfig, false);
  printResult(
    io,
    globals,
    {
      ...rest,
      ...(inventory ? { groups: inventory.groups.map(({ hosts, ...g }) => g) } : {}),
      bootstrapped: bootstrappedHosts(done),
    },
    () =>
      result.action === 'updated'
        ? `cluster ${result.cluster} updated\n\n${inventory ? renderGroups(inventory.groups) : ''}`
        : result.action === 'unchanged'
          ? `cluster ${result.cluster}: no changes`
          : `cluster ${result.cluster}: update declined, nothing changed`,
  );
  return result.action === 'declined' ? EXIT_DECLINED : 0;
}

/** Flags of delete. */
export interface DeleteFlags extends AwsFlags, KubeconfigFlags {
  readonly yes?: boolean;
  readonly keepBackups?: boolean;
}

/** `tugboat delete NAME`: plan, confirm, delete, sweep, prove. Exit 3 when anything remains. */
export async function runDelete(
  io: CliIO,
  globals: GlobalOptions,
  name: string,
  flags: DeleteFlags,
): Promise<number> {
  const timing = sweepTimingFromEnv(io.env);
  const result = await withAwsSession(io, globals, flags, undefined, (s) =>
    deleteCluster({
      aws: s.aws,
      events: s.events,
      signal: s.signal,
      cluster: name,
      ...timing,
      keepBackups: Boolean(flags.keepBackups),
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
  if (result.declined) {
    printResult(io, globals, result, () => renderDeleteResult(result));
    return EXIT_DECLINED;
  }
  // As kind, k3d and eksctl do: the cluster's context, user and cluster entries go with it.
  const kubeconfig = await removeFromUserKubeconfig(io, flags, name);
  printResult(io, globals, { ...result, kubeconfig }, () =>
    [renderDeleteResult(result), ...renderKubeconfigRemoval(name, kubeconfig)].join('\n'),
  );
  return result.clean ? 0 : 3;
}
