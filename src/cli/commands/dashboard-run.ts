import { spawn } from 'node:child_process';
import { type CloudActions, type CloudSource, startDashboard } from '../../dashboard/index.js';
import { UsageError } from '../../errors.js';
import { LOCAL_CONTEXT } from '../../local/state.js';
import type { CliIO, GlobalOptions } from '../support/context.js';
import { userKubeconfig } from '../support/kubeconfig-flags.js';
import type { DashboardFlags } from './dashboard.js';

/** Opens `url` in the desktop's browser when there is a desktop; failures are only reported. */
function openBrowser(io: CliIO, url: string): void {
  const opener =
    process.platform === 'darwin'
      ? 'open'
      : io.env.DISPLAY || io.env.WAYLAND_DISPLAY
        ? 'xdg-open'
        : undefined;
  if (!opener) return;
  // The URL goes on the opener's command line for a moment; it is a one-time token, dead once used.
  const child = spawn(opener, [url], { stdio: 'ignore', detached: true });
  child.on('error', (err) => io.stderr(`could not open a browser (${err.message}): open the URL yourself\n`));
  child.unref();
}

/**
 * The AWS side of cluster NAME with the user's AWS credentials; none (with a note) when AWS is not
 * configured here, so the dashboard of an on-premises or local cluster still starts.
 */
async function cloudOf(
  io: CliIO,
  name: string,
  flags: DashboardFlags,
): Promise<{ source: CloudSource; actions: CloudActions } | undefined> {
  const { assignEips, clusterStatus, createAwsClients } = await import('../../index.js');
  try {
    const aws = await createAwsClients({
      ...(flags.region ? { region: flags.region } : {}),
      ...(flags.endpointUrl ? { endpointUrl: flags.endpointUrl } : {}),
      ...(flags.profile ? { profile: flags.profile } : {}),
      env: io.env,
    });
    return {
      source: () => clusterStatus({ aws, cluster: name }),
      actions: { assignEips: (group) => assignEips({ aws, cluster: name, ...(group ? { group } : {}) }) },
    };
  } catch (err) {
    io.stderr(`note: no AWS side in the dashboard: ${(err as Error).message}\n`);
    return undefined;
  }
}

/** `tugboat dashboard [NAME]`: serves until SIGINT/SIGTERM, or until `until` resolves (tests). */
export async function runDashboardCommand(
  io: CliIO,
  _globals: GlobalOptions,
  name: string | undefined,
  flags: DashboardFlags,
  until?: Promise<void>,
): Promise<number> {
  const chosen = [name, flags.local ? LOCAL_CONTEXT : undefined, flags.context].filter(Boolean);
  if (chosen.length > 1) throw new UsageError('give one of NAME, --local or --context');
  const port = Number(flags.port);
  const cloud = name ? await cloudOf(io, name, flags) : undefined;
  const dashboard = await startDashboard({
    kubeconfig: userKubeconfig(io, flags),
    ...(chosen[0] ? { context: chosen[0] } : {}),
    address: flags.address,
    port,
    ...(cloud ? { cloud: cloud.source, cloudActions: cloud.actions } : {}),
  });
  if (dashboard.exposed) {
    io.stderr(
      `warning: listening on ${flags.address}: anyone who can reach this address and gets the URL acts on ` +
        `${dashboard.context} with your credentials, over plain HTTP. Prefer the default and an SSH tunnel.\n`,
    );
  }
  io.stderr(`dashboard of ${dashboard.context} (${dashboard.server}); Ctrl-C stops it\n`);
  io.stdout(`${dashboard.url}\n`);
  if (flags.open && !dashboard.exposed) openBrowser(io, dashboard.url);
  const stop =
    until ??
    new Promise<void>((resolve) => {
      process.once('SIGINT', () => resolve());
      process.once('SIGTERM', () => resolve());
    });
  await stop;
  await dashboard.close();
  return 0;
}
