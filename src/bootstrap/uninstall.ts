import { type EventSink, silentEvents } from '../events.js';
import { quote } from '../ssh/quote.js';
import { type RemoteShell, runChecked } from '../ssh/remote-shell.js';
import { type HostLayout, layoutDirectories } from './layout.js';
import { removeService, type ServiceMode } from './service.js';

/** Options for {@link uninstallHost}. */
export interface UninstallOptions {
  readonly layout: HostLayout;
  /** Services tugboat installed on the host (e.g. `tugboat-control-plane`, `tugboat-agent`). */
  readonly services: readonly string[];
  /** @default 'auto' */
  readonly mode?: ServiceMode | 'auto';
  /** @default silentEvents */
  readonly events?: EventSink;
}

/** What was left behind (empty when the host is clean). */
export interface UninstallResult {
  /** Processes that still ran a tugboat program after the services were removed and were killed. */
  readonly killedStragglers: readonly number[];
}

/**
 * Removes everything tugboat put on a host: stops and removes its services, kills any process
 * still running a program from /opt/tugboat or /var/lib/tugboat (other than this command), and
 * deletes the five tugboat directories. Idempotent: uninstalling a clean host does nothing.
 */
export async function uninstallHost(shell: RemoteShell, options: UninstallOptions): Promise<UninstallResult> {
  for (const name of options.services) {
    await removeService(shell, name, { layout: options.layout, mode: options.mode ?? 'auto' });
  }
  const markers = [`${options.layout.opt}/`, `${options.layout.lib}/`];
  // Our own command line names the same paths: skip this command's process group.
  const result = await runChecked(
    shell,
    `me=$(sed 's/^.*) //' /proc/$$/stat | cut -d' ' -f3)
killed=
for d in /proc/[0-9]*; do
  p=\${d#/proc/}
  g=$(sed 's/^.*) //' "$d/stat" 2>/dev/null | cut -d' ' -f3) || continue
  [ -z "$g" ] || [ "$g" = "$me" ] && continue
  c=$(tr '\\0' ' ' < "$d/cmdline" 2>/dev/null) || continue
  for m in ${markers.map(quote).join(' ')}; do
    case "$c" in *"$m"*) kill -KILL "$p" 2>/dev/null && killed="$killed $p"; break;; esac
  done
done
echo "killed:$killed"
rm -rf ${layoutDirectories(options.layout).map(quote).join(' ')}`,
    { step: 'uninstall', timeoutMs: 120_000 },
  );
  const killed = (/killed:(.*)/.exec(result.stdout)?.[1] ?? '').trim();
  const killedStragglers = killed ? killed.split(/\s+/).map(Number) : [];
  (options.events ?? silentEvents).emit({
    code: 'host.uninstalled',
    level: 'info',
    message: `${shell.host}: tugboat removed${killedStragglers.length ? ` (killed ${killedStragglers.length} leftover process(es))` : ''}`,
    data: { host: shell.host, killedStragglers },
  });
  return { killedStragglers };
}
