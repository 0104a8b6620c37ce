import { assignEips, clusterStatus, listClusters, listEips, scaleGroup } from '../../index.js';
import type { AwsFlags } from '../support/aws-flags.js';
import { withAwsSession } from '../support/aws-session.js';
import type { CliIO, GlobalOptions } from '../support/context.js';
import { cliStateRoot, printResult } from '../support/context.js';
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
  const { bootstrapOption, bootstrappedHosts } = await import('./lifecycle-run.js');
  const bootstrap = wait ? bootstrapOption(io, flags) : false;
  const result = await withAwsSession(io, globals, flags, undefined, async (s) => {
    const { bootstrap: done, ...scaled } = await scaleGroup({
      ...s,
      cluster: name,
      group: flags.group,
      desired,
      wait,
      stateRoot: cliStateRoot(io),
      bootstrap,
    });
    return { ...scaled, bootstrapped: bootstrappedHosts(done) };
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
