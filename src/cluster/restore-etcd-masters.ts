import { CONTROL_PLANE_SERVICE } from '../bootstrap/control-plane-install.js';
import type { HostLayout } from '../bootstrap/layout.js';
import { detectServiceMode, type ServiceMode, stopService } from '../bootstrap/service.js';
import type { StateTarget } from '../control-plane/store/shipping/index.js';
import { DeploymentError } from '../errors.js';
import { type EventSink, silentEvents } from '../events.js';
import { quote } from '../ssh/quote.js';
import { type RemoteShell, runChecked } from '../ssh/remote-shell.js';
import { readControlPlaneDefinition, start } from './restore-master.js';
import { flagValue, parseServiceCommand, type ServiceCommand } from './service-argv.js';

/** Options of {@link restoreEtcdOnMasters}. */
export interface EtcdMastersRestoreOptions {
  /** Where the backup is (this cluster's prefix, or another cluster's). */
  readonly source: StateTarget;
  /** The backup's name. */
  readonly name: string;
  /** Waits until every master's API answers /readyz after the start. */
  readonly waitReady: () => Promise<void>;
  /** @default detected on each host */
  readonly mode?: ServiceMode;
  /** @default silentEvents */
  readonly events?: EventSink;
  /**
   * The bucket's region, for a master whose control plane has none in its environment (one
   * installed over SSH without `backup:`: nothing of it talks to AWS). @default the service's own
   */
  readonly region?: string;
}

/** Flags of the control plane that `store restore-etcd` / `backup-etcd` take as they are. */
const ETCD_FLAGS = ['--etcd-endpoints', '--etcd-cafile', '--etcd-certfile', '--etcd-keyfile'];

/** A master to restore on: its session and its host layout (DEFAULT_HOST_LAYOUT on real hosts). */
export interface MasterHost {
  readonly shell: RemoteShell;
  readonly layout: HostLayout;
}

/** A master whose control plane runs on etcd, with its service's command. */
export interface EtcdMaster extends MasterHost {
  readonly mode: ServiceMode;
  readonly command: ServiceCommand;
}

/** Reads the master's control-plane service; refused unless it runs on etcd. */
export async function readEtcdMaster(
  host: MasterHost,
  options: { readonly mode?: ServiceMode },
): Promise<EtcdMaster> {
  const { shell, layout } = host;
  const mode = options.mode ?? (await detectServiceMode(shell));
  const definition = await readControlPlaneDefinition(shell, layout, mode);
  const command = parseServiceCommand(definition, mode);
  if (!command || flagValue(command.argv, '--store') !== 'etcd' || !command.argv.includes('control-plane'))
    throw new DeploymentError(
      'RESTORE_REFUSED',
      `${shell.host}: ${command ? 'the control plane does not keep its objects in etcd (no --store etcd)' : 'no control plane service is installed here'}: backups and restores of etcd run through masters whose control plane is on etcd. Nothing was changed`,
    );
  return { shell, layout, mode, command };
}

/**
 * A shell command that runs the same program as the master's control plane (node and bundle), with
 * its environment (non-secret by construction: AWS_REGION; credentials come from the instance
 * role), as `args` followed by the control plane's own `--etcd-*` flags.
 */
export function etcdToolCommand(master: EtcdMaster, args: readonly string[], region?: string): string {
  const argv = master.command.argv;
  const program = argv.slice(0, argv.indexOf('control-plane'));
  const flags = ETCD_FLAGS.flatMap((f) => {
    const value = flagValue(argv, f);
    return value === undefined ? [] : [f, value];
  });
  // The service's environment wins; a region is added where it has none (or an empty one).
  const vars = { ...master.command.env };
  if (region && !vars.AWS_REGION) vars.AWS_REGION = region;
  const env = Object.entries(vars).map(([k, v]) => `${k}=${v}`);
  return `env ${[...env, ...program, ...args, ...flags].map(quote).join(' ')}`;
}

/**
 * Restores a backup into a cluster whose store is etcd: reads every master's control plane
 * service (all must run on etcd; otherwise nothing is touched), stops every one (so no API server
 * writes while the keys are replaced), then on the first master runs the same program as its
 * control plane, with its etcd flags and environment, as `store restore-etcd` (etcd's client port
 * is open to the masters only), and starts them all again and waits for their API. A failed
 * restore still starts them (etcd may hold part of the backup: run the restore again).
 */
export async function restoreEtcdOnMasters(
  hosts: readonly MasterHost[],
  options: EtcdMastersRestoreOptions,
): Promise<{ host: string; output: string }> {
  const events = options.events ?? silentEvents;
  if (hosts.length === 0) throw new DeploymentError('RESTORE_REFUSED', 'no running master to restore on');
  const masters: EtcdMaster[] = [];
  for (const host of hosts) masters.push(await readEtcdMaster(host, options));
  for (const m of masters) {
    await stopService(m.shell, CONTROL_PLANE_SERVICE, { layout: m.layout, mode: m.mode, events });
    events.emit({
      code: 'restore.master-stopped',
      level: 'info',
      message: `${m.shell.host}: control plane stopped`,
    });
  }
  const first = masters[0]!;
  const command = etcdToolCommand(
    first,
    [
      'store',
      'restore-etcd',
      '--from',
      options.name,
      '--state-bucket',
      options.source.ref.bucket,
      '--state-prefix',
      options.source.prefix,
      '--yes',
    ],
    options.region,
  );
  let output = '';
  try {
    const res = await runChecked(first.shell, command, {
      step: `restore ${options.name} into etcd`,
    });
    output = res.stdout.trim();
    events.emit({ code: 'restore.etcd-written', level: 'info', message: `${first.shell.host}: ${output}` });
  } finally {
    for (const m of masters) await start(m.shell, m.mode, { layout: m.layout, events });
  }
  await options.waitReady();
  events.emit({
    code: 'restore.done',
    level: 'info',
    message: `every master serves backup ${options.name} from etcd`,
  });
  return { host: first.shell.host, output };
}
