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
  /**
   * Keep the local-path volumes' data (`<lib>/agent/volumes`, `uninstall --keep-data`): everything
   * else goes. @default false
   */
  readonly keepData?: boolean;
}

/** A local-path volume's directory found on the host, with its size. */
export interface HostVolumeData {
  readonly path: string;
  readonly kib: number;
}

/** What was left behind (empty when the host is clean). */
export interface UninstallResult {
  /** Processes that still ran a tugboat program after the services were removed and were killed. */
  readonly killedStragglers: readonly number[];
  /** Pod containers (label `tugboat.dev/managed=true`) removed from the host's Docker. */
  readonly containersRemoved: number;
  /** Pod process groups of the process runtime that still ran (their agent had died) and were killed. */
  readonly podProcessesStopped: number;
  /** The local-path volumes' directories the host held (listed before anything was removed). */
  readonly data: readonly HostVolumeData[];
  /** Whether {@link data} was kept (`keepData`) or removed with the rest. */
  readonly dataKept: boolean;
}

/** Where the agent keeps local-path volumes under a layout (see agent/claim-volume.ts). */
export function volumesDirOfLayout(layout: HostLayout): string {
  return `${layout.lib}/agent/volumes`;
}

/** Lists the local-path volumes' directories on a host with their sizes (KiB, `du -sk`). */
export async function listHostVolumeData(shell: RemoteShell, layout: HostLayout): Promise<HostVolumeData[]> {
  const out = await runChecked(
    shell,
    `for d in ${quote(volumesDirOfLayout(layout))}/*; do
  [ -d "$d" ] && [ ! -L "$d" ] || continue
  k=$(du -sk "$d" 2>/dev/null | cut -f1)
  printf '%s\t%s\n' "\${k:-0}" "$d"
done`,
    { step: 'uninstall', timeoutMs: 120_000 },
  );
  return out.stdout
    .split('\n')
    .filter((l) => l.includes('\t'))
    .map((l) => {
      const tab = l.indexOf('\t');
      return { path: l.slice(tab + 1), kib: Number(l.slice(0, tab)) || 0 };
    });
}

/**
 * Removes everything tugboat put on a host: stops and removes its services, removes the pod
 * containers the agent left in Docker, kills the pod processes a dead agent's process runtime left
 * running, kills any process
 * still running a program from /opt/tugboat or /var/lib/tugboat (other than this command), and
 * deletes the five tugboat directories. Idempotent: uninstalling a clean host does nothing.
 */
export async function uninstallHost(shell: RemoteShell, options: UninstallOptions): Promise<UninstallResult> {
  const events = options.events ?? silentEvents;
  const keepData = options.keepData ?? false;
  // Listed before anything goes, so the user sees what a plain uninstall deletes.
  const data = await listHostVolumeData(shell, options.layout);
  if (data.length > 0)
    events.emit({
      code: 'host.volume-data',
      level: keepData ? 'info' : 'warn',
      message: `${shell.host}: ${keepData ? 'keeping' : 'removing'} ${data.length} local-path volume(s): ${data.map((d) => `${d.path} (${formatKib(d.kib)})`).join(', ')}${keepData ? '' : ' (--keep-data keeps them)'}`,
      data: { host: shell.host, volumes: data, kept: keepData },
    });
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
  // The process runtime records each container's process group, and those of the `exec`
  // sessions running in it, as `PID STARTTICKS` lines under the agent's data directory; a killed
  // agent leaves those running. The start time (field 22 of /proc/PID/stat) must match, or the pid
  // now belongs to someone else; a group whose leader has gone (no stat) can still have members,
  // and its pid cannot be reused while they live.
  const pods = await runChecked(
    shell,
    `n=0
for f in ${quote(options.layout.lib)}/*/process-runtime/*/${PROCESS_FILE}; do
  [ -f "$f" ] || continue
  while read -r pid ticks; do
    case "$pid:$ticks" in *[!0-9:]*|:*|*:) continue;; esac
    # Never 0 or 1: kill -- -1 would signal every process.
    [ "$pid" -gt 1 ] || continue
    cur=$(sed 's/^.*) //' "/proc/$pid/stat" 2>/dev/null | cut -d' ' -f20)
    [ -z "$cur" ] || [ "$cur" = "$ticks" ] || continue
    kill -KILL "-$pid" 2>/dev/null && n=$((n+1))
  done < "$f"
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
${keepData ? keepVolumesScript(options.layout) : ''}for d in ${layoutDirectories(options.layout)
      .filter((d) => !keepData || d !== options.layout.lib)
      .map(quote)
      .join(' ')}; do
  rm -rf "$d" 2>/dev/null && continue
  # A directory that is a mount point (its own volume) cannot go: empty it instead.
  find "$d" -mindepth 1 -delete 2>/dev/null
  if [ -n "$(ls -A "$d" 2>/dev/null)" ]; then echo "cannot remove $d" >&2; exit 1; fi
done`,
    { step: 'uninstall', timeoutMs: 120_000 },
  );
  const killed = (/killed:(.*)/.exec(result.stdout)?.[1] ?? '').trim();
  const killedStragglers = killed ? killed.split(/\s+/).map(Number) : [];
  events.emit({
    code: 'host.uninstalled',
    level: 'info',
    message: `${shell.host}: tugboat removed (${containersRemoved} pod container(s)${podProcessesStopped ? `, ${podProcessesStopped} pod process group(s)` : ''}${killedStragglers.length ? `, killed ${killedStragglers.length} leftover process(es)` : ''}${keepData && data.length ? `; kept ${data.length} volume(s) in ${volumesDirOfLayout(options.layout)}` : ''})`,
    data: { host: shell.host, killedStragglers, containersRemoved, podProcessesStopped },
  });
  return {
    killedStragglers,
    containersRemoved,
    podProcessesStopped,
    data,
    dataKept: keepData && data.length > 0,
  };
}

/**
 * Empties the state directory except the volumes: `<lib>/*` but `agent`, then `<lib>/agent/*` but
 * `volumes`. A directory that cannot go fails the uninstall, as below.
 */
function keepVolumesScript(layout: HostLayout): string {
  const lib = quote(layout.lib);
  const agent = quote(`${layout.lib}/agent`);
  return `if [ -d ${lib} ]; then
  find ${lib} -mindepth 1 -maxdepth 1 ! -name agent -exec rm -rf {} + || { echo "cannot empty ${layout.lib}" >&2; exit 1; }
  if [ -d ${agent} ]; then
    find ${agent} -mindepth 1 -maxdepth 1 ! -name volumes -exec rm -rf {} + || { echo "cannot empty ${layout.lib}/agent" >&2; exit 1; }
  fi
fi
`;
}

/** `1.5 MiB`, `12 KiB`. */
function formatKib(kib: number): string {
  if (kib < 1024) return `${kib} KiB`;
  if (kib < 1024 * 1024) return `${(kib / 1024).toFixed(1)} MiB`;
  return `${(kib / 1024 / 1024).toFixed(1)} GiB`;
}
