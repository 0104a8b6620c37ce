import { posix } from 'node:path';

/**
 * Where tugboat writes on a host — and the only places: `uninstall` removes exactly these (plus a
 * systemd unit where systemd runs).
 */
export interface HostLayout {
  /** Filesystem root the layout hangs off; `/` on real hosts, a temporary directory in tests. */
  readonly root: string;
  /** Bundles (`/opt/tugboat/bundles/<hash>.mjs`) and helper scripts (`/opt/tugboat/bin`). */
  readonly opt: string;
  /** Configuration and certificates, 0700. */
  readonly etc: string;
  /** State (store data, agent state). */
  readonly lib: string;
  /** Service logs. */
  readonly log: string;
  /** Pidfiles and sockets (tmpfs on most hosts: gone after a reboot). */
  readonly run: string;
  /** Where a systemd unit goes (outside the five directories above). */
  readonly systemdUnitDir: string;
}

/** The five directories of a host layout, in creation order. */
export function layoutDirectories(layout: HostLayout): readonly string[] {
  return [layout.opt, layout.etc, layout.lib, layout.log, layout.run];
}

/** Options for {@link buildHostLayout}. */
export interface HostLayoutOptions {
  /** An absolute path to prefix every location with (tests give each simulated host its own). @default '/' */
  readonly root?: string;
}

/** The standard layout: /opt/tugboat, /etc/tugboat, /var/lib/tugboat, /var/log/tugboat, /run/tugboat. */
export function buildHostLayout(options: HostLayoutOptions = {}): HostLayout {
  const root = options.root ?? '/';
  if (!posix.isAbsolute(root)) throw new Error(`layout root "${root}" must be an absolute path`);
  const at = (p: string) => posix.join(root, p);
  return {
    root,
    opt: at('/opt/tugboat'),
    etc: at('/etc/tugboat'),
    lib: at('/var/lib/tugboat'),
    log: at('/var/log/tugboat'),
    run: at('/run/tugboat'),
    systemdUnitDir: at('/etc/systemd/system'),
  };
}

/** The layout every real host uses. */
export const DEFAULT_HOST_LAYOUT: HostLayout = buildHostLayout();
