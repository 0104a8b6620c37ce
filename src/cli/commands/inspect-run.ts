import {
  type AwsClients,
  assignEips,
  type ClusterSettings,
  clusterStatus,
  listClusters,
  listEips,
  parseClusterSettings,
  scaleGroup,
  stackNameOf,
  TEMPLATE_OUTPUTS,
  UsageError,
} from '../../index.js';
import type { AwsFlags } from '../support/aws-flags.js';
import { withAwsSession } from '../support/aws-session.js';
import type { CliIO, GlobalOptions } from '../support/context.js';
import { printResult } from '../support/context.js';
import { renderClusterList, renderEips, renderGroups, renderStatus } from '../support/format-cluster.js';

/** `tugboat status NAME`. */
export async function runStatus(
  io: CliIO,
  globals: GlobalOptions,
  name: string,
  flags: AwsFlags,
): Promise<number> {
  const status = await withAwsSession(io, globals, flags, undefined, (s) =>
    clusterStatus({ ...s, cluster: name }),
  );
  printResult(io, globals, status, () => renderStatus(status));
  return 0;
}

/** `tugboat list`. */
export async function runList(io: CliIO, globals: GlobalOptions, flags: AwsFlags): Promise<number> {
  const clusters = await withAwsSession(io, globals, flags, undefined, (s) => listClusters(s));
  printResult(io, globals, { clusters }, () => renderClusterList(clusters));
  return 0;
}

/** The stack's BootstrapSettings output, or a UsageError saying how to do without. */
async function readClusterSettings(aws: AwsClients, name: string): Promise<ClusterSettings> {
  const stack = await aws.cloudFormation.describeStack(stackNameOf(name));
  const settings = parseClusterSettings(stack?.outputs[TEMPLATE_OUTPUTS.bootstrapSettings]);
  if (!settings) {
    throw new UsageError(
      stack
        ? `stack ${stack.name} has no ${TEMPLATE_OUTPUTS.bootstrapSettings} output (an older tugboat made it): run tugboat update -f SPEC once, or scale with --no-bootstrap`
        : `cluster "${name}" has no stack ${stackNameOf(name)}: check the name with tugboat list, or pass --region`,
    );
  }
  return settings;
}

/** Flags of scale. */
export interface ScaleFlags extends AwsFlags {
  readonly group: string;
  readonly desired: string;
  readonly wait?: boolean;
  readonly bootstrap?: boolean;
  readonly trustNewHosts?: boolean;
  readonly bundle?: string;
}

/** `tugboat scale NAME --group G --desired N`. */
export async function runScale(
  io: CliIO,
  globals: GlobalOptions,
  name: string,
  flags: ScaleFlags,
): Promise<number> {
  const desired = Number(flags.desired);
  const wait = flags.wait !== false;
  const { bootstrapHook } = await import('./lifecycle-run.js');
  const result = await withAwsSession(io, globals, flags, undefined, async (s) => {
    // The stack remembers the SSH user/address, labels and EIP groups: scale needs no spec file.
    const access = wait && flags.bootstrap !== false ? await readClusterSettings(s.aws, name) : undefined;
    const hook = access ? await bootstrapHook(io, flags, access, true) : undefined;
    const scaled = await scaleGroup({
      ...s,
      cluster: name,
      group: flags.group,
      desired,
      wait,
      ...(access ? { eipGroups: access.eipGroups } : {}),
      ...(io.env.TUGBOAT_STATE_DIR ? { stateRoot: io.env.TUGBOAT_STATE_DIR } : {}),
      ...(hook ? { bootstrap: hook.bootstrap } : {}),
    });
    return { ...scaled, bootstrapped: hook?.hosts() ?? [] };
  });
  printResult(io, globals, result, () =>
    [
      `${result.group}: desired ${result.previous} → ${result.desired}`,
      ...(result.groupStatus ? ['', renderGroups([result.groupStatus])] : []),
    ].join('\n'),
  );
  return 0;
}

/** `tugboat eip list NAME`. */
export async function runEipList(
  io: CliIO,
  globals: GlobalOptions,
  name: string,
  flags: AwsFlags,
): Promise<number> {
  const eips = await withAwsSession(io, globals, flags, undefined, (s) => listEips({ ...s, cluster: name }));
  printResult(io, globals, { cluster: name, eips }, () => renderEips(eips));
  return 0;
}

/** Flags of eip assign. */
export interface EipAssignFlags extends AwsFlags {
  readonly group?: string;
  readonly instance?: string;
}

/** `tugboat eip assign NAME [--group G | --instance ID]`. */
export async function runEipAssign(
  io: CliIO,
  globals: GlobalOptions,
  name: string,
  flags: EipAssignFlags,
): Promise<number> {
  const result = await withAwsSession(io, globals, flags, undefined, (s) =>
    assignEips({
      ...s,
      cluster: name,
      ...(flags.group ? { group: flags.group } : {}),
      ...(flags.instance ? { instanceId: flags.instance } : {}),
    }),
  );
  printResult(io, globals, result, () =>
    [
      ...result.assigned.map((a) => `${a.publicIp} → ${a.instanceId}`),
      `${result.assigned.length} assigned, ${result.alreadyAssigned.length} already had one`,
    ].join('\n'),
  );
  return 0;
}
