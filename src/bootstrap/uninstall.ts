import { PROCESS_FILE } from '../agent/runtime/process-records.js';
import { runtimeLabels } from '../agent/runtime/types.js';
import { type EventSink, silentEvents } from '../events.js';
import { quote } from '../ssh/quote.js';
import { type RemoteShell, runChecked } from '../ssh/remote-shell.js';
import { type HostLayout, layoutDirectories } from './layout.js';
import { removeService, type ServiceMode } from './service.js';
import { removeHostPodNetwork, removeHostServiceRules } from './service-rules.js';

/** Options for {@link uninstallHost}. */
export interface UninstallOptions {
  readonly layout: HostLayout;
  /** Services tugboat installed on the host (e.g. `tugboat-control-plane`, `tugboat-agent`). */
  readonly services: readonly string[];
  /** @default 'auto' */
  readonly mode?: ServiceMode | 'auto';
  /** Only remove pod containers of this node (label `tugboat.dev/node`). @default every tugboat-managed container */
  readonly nodeName?: string;
  /** @default silentEvents */
  readonly events?: EventSink;
  /**
   * Remove the service proxy's iptables chains (the host's own kernel rules). Off only where the
   * "host" shares the caller's network namespace, as a local test does. @default true
   */
  readonly serviceRules?: boolean;
  /**
   * Remove the pod network's devices and chains (after the pod containers). Off only where the
   * "host" shares the caller's network namespace. @default true
   */
  readonly podNetwork?: boolean;
}

/** What was left behind (empty when the host is clean). */
export interface UninstallResult {
  /** Processes that still ran a tugboat program after the services were removed and were killed. */
  readonly killedStragglers: readonly number[];
  /** Pod containers (label `tugboat.dev/managed=true`) removed from the host's Docker. */
  readonly containersRemoved: number;
  /** Pod process groups of the process runtime that still ran (their agent had died) and were killed. */
  readonly podProcessesStopped: number;
}

/**
 * Removes everything tugboat put on a host: stops and removes its services, removes the pod
 * containers the agent left in Docker, kills the pod processes a dead agent's process runtime left
 * running, kills any process
 * still running a program from /opt/tugboat or /var/lib/tugboat (other than this command), and
 * deletes the five tugboat directories. Idempotent: uninstalling a clean host does nothing.
 */
export async function uninstallHost(shell: RemoteShell, options: UninstallOptions): Promise<UninstallResult> {
  for (const name of options.services) {
    await removeService(shell, name, { layout: options.layout, mode: options.mode ?? 'auto' });
  }
  // After the services stop, so no agent writes the chains back.
  if (options.serviceRules ?? true) await removeHostServiceRules(shell);
  const markers = [`${options.layout.opt}/`, `${options.layout.lib}/`];
  // Our own command line names the same paths: skip this command's process group. Only processes
  // that see this host's filesystem (our mount namespace) are tugboat's programs on this host:
  // never a container's, nor another machine's that shares the kernel (as simulated hosts do).
  // Pod containers the agent started outlive it in dockerd: remove them too (best effort: the
  // Docker daemon may be down or absent).
  const containers = await shell.exec(
    `command -v docker >/dev/null 2>&1 || exit 0
ids=$(docker ps -aq --filter ${quote(`label=${runtimeLabels.managed}=true`)}${options.nodeName ? ` --filter ${quote(`label=${runtimeLabels.node}=${options.nodeName}`)}` : ''} 2>/dev/null) || exit 0
[ -z "$ids" ] || docker rm -f $ids >/dev/null 2>&1 || true
echo $ids | wc -w`,
    { timeoutMs: 120_000 },
  );
  const containersRemoved = Number(containers.stdout.trim()) || 0;
  // After the sandboxes are gone, so no pod holds a veth of ours.
  if (options.podNetwork ?? true) await removeHostPodNetwork(shell);
  // The process runtime records each pod's process group as `PID STARTTICKS` under the agent's
  // data directory; a killed agent leaves those running. The start time (field 22 of
  // /proc/PID/stat) must match, or the pid now belongs to someone else; a group whose leader has
  // gone (no stat) can still have members, and its pid cannot be reused while they live.
  const pods = await runChecked(
    shell,
    `n=0
for f in ${quote(options.layout.lib)}/*/process-runtime/*/${PROCESS_FILE}; do
  [ -f "$f" ] || continue
  read -r pid ticks < "$f" || continue
  case "$pid:$ticks" in *[!0-9:]*|:*|*:) continue;; esac
  # Never 0 or 1: kill -- -1 would signal every process.
  [ "$pid" -gt 1 ] || continue
  cur=$(sed 's/^.*) //' "/proc/$pid/stat" 2>/dev/null | cut -d' ' -f20)
  [ -z "$cur" ] || [ "$cur" = "$ticks" ] || continue
  kill -KILL "-$pid" 2>/dev/null && n=$((n+1))
done
echo "pods:$n"`,
    { step: 'uninstall', timeoutMs: 60_000 },
  );
  const podProcessesStopped = Number(/pods:(\d+)/.exec(pods.stdout)?.[1] ?? 0);
  const result = await runChecked(
    shell,
    `me=$(sed 's/^.*) //' /proc/$$/stat | cut -d' ' -f3)
mnt=$(readlink /proc/$$/ns/mnt)
killed=
for d in /proc/[0-9]*; do
  p=\${d#/proc/}
  [ "$(readlink "$d/ns/mnt" 2>/dev/null)" = "$mnt" ] || continue
  g=$(sed 's/^.*) //' "$d/stat" 2>/dev/null | cut -d' ' -f3) || continue
  [ -z "$g" ] || [ "$g" = "$me" ] && continue
  c=$(tr '\\0' ' ' < "$d/cmdline" 2>/dev/null) || continue
  for m in ${markers.map(quote).join(' ')}; do
    case "$c" in *"$m"*) kill -KILL "$p" 2>/dev/null && killed="$killed $p"; break;; esac
  done
done
echo "killed:$killed"
for d in ${layoutDirectories(options.layout).map(quote).join(' ')}; do
  rm -rf "$d" 2>/dev/null && continue
  # A directory that is a mount point (its own volume) cannot go: empty it instead.
  find "$d" -mindepth 1 -delete 2>/dev/null
  if [ -n "$(ls -A "$d" 2>/dev/null)" ]; then echo "cannot remove $d" >&2; exit 1; fi
done`,
    { step: 'uninstall', timeoutMs: 120_000 },
  );
  const killed = (/killed:(.*)/.exec(result.stdout)?.[1] ?? '').trim();
  const killedStragglers = killed ? killed.split(/\s+/).map(Number) : [];
  (options.events ?? silentEvents).emit({
    code: 'host.uninstalled',
    level: 'info',
    message: `${shell.host}: tugboat removed (${containersRemoved} pod container(s)${podProcessesStopped ? `, ${podProcessesStopped} pod process group(s)` : ''}${killedStragglers.length ? `, killed ${killedStragglers.length} leftover process(es)` : ''})`,
    data: { host: shell.host, killedStragglers, containersRemoved, podProcessesStopped },
  });
  return { killedStragglers, containersRemoved, podProcessesStopped };
}
