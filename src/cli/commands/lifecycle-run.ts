import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { AbortError } from '../../errors.js';
import * as library from '../../index.js';
import {
  type BootstrapContext,
  buildClusterDefinition,
  type ClusterDefinition,
  createCluster,
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
  const specFile = resolve(io.cwd, file);
  const spec = await loadClusterSpec(specFile);
  const definition = buildClusterDefinition(spec);
  const keyFile = definition.publicKeyFile;
  return {
    definition: keyFile ? { ...definition, publicKeyFile: specPath(io, specFile, keyFile) } : definition,
    region: spec.region,
  };
}

/**
 * The bootstrap phase, when this build has one: the library exports `bootstrapCluster` once the
 * SSH bootstrap lands; until then create stops after the infrastructure.
 */
function bootstrapHook(): ((context: BootstrapContext) => Promise<void>) | undefined {
  const hook = (library as Record<string, unknown>).bootstrapCluster;
  return typeof hook === 'function' ? (hook as (context: BootstrapContext) => Promise<void>) : undefined;
}

/** `tugboat create -f FILE`. */
export async function runCreate(io: CliIO, globals: GlobalOptions, flags: SpecFlags): Promise<number> {
  const { definition, region } = await loadDefinition(io, flags.file);
  const bootstrap = flags.bootstrap === false ? undefined : bootstrapHook();
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
      ...(bootstrap ? { bootstrap } : {}),
    }),
  );
  const { inventory, ...rest } = result;
  printResult(
    io,
    globals,
    { ...rest, region, groups: inventory.groups.map(({ hosts, ...g }) => g), hosts: inventory.hosts },
    () =>
      [
        `cluster ${result.cluster}: stack ${result.stackName} ${result.stackAction} (${result.stackStatus})`,
        ...(result.apiEndpoint ? [`api endpoint: ${result.apiEndpoint}`] : []),
        ...(result.privateKeyPath ? [`ssh key: ${result.privateKeyPath}`] : []),
        '',
        renderGroups(inventory.groups),
        '',
        renderHosts(inventory.hosts),
        ...(result.bootstrapped ? [] : ['', 'infrastructure is ready (no bootstrap in this run)']),
      ].join('\n'),
  );
  return 0;
}

/** `tugboat update -f FILE`. */
export async function runUpdate(io: CliIO, globals: GlobalOptions, flags: SpecFlags): Promise<number> {
  const { definition, region } = await loadDefinition(io, flags.file);
  const result = await withAwsSession(io, globals, flags, region, (s) =>
    updateCluster({
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
    { ...rest, ...(inventory ? { groups: inventory.groups.map(({ hosts, ...g }) => g) } : {}) },
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
