import { join } from 'node:path';
import { type EventSink, silentEvents } from '../events.js';
import { connectSsh } from '../ssh/connect.js';
import type { RemoteShell } from '../ssh/remote-shell.js';
import type { SshShell } from '../ssh/ssh-shell.js';
import type { BootstrapHost, BootstrapHosts } from './bootstrap-hosts.js';
import type { HostLayout } from './layout.js';
import { timedStep } from './timed-step.js';

/** How to reach and lay out the inventory's hosts. */
export interface InventoryAccessOptions {
  readonly inventory: BootstrapHosts;
  /** Local state of the cluster (`~/.tugboat/<cluster>`): CA, certificates, known_hosts. */
  readonly stateDir: string;
  /** Record host keys never seen before (`--trust-new-hosts`). @default false */
  readonly trustNewHosts?: boolean;
  /** Hosts worked on at once after the master. @default 10 */
  readonly concurrency?: number;
  /** The layout on each host. Tests give every simulated host its own root. @default DEFAULT_HOST_LAYOUT */
  readonly layoutFor?: (host: BootstrapHost) => HostLayout;
  /** SSH connection attempts per host (instances may still be booting). @default 10 */
  readonly connectAttempts?: number;
  /** @default silentEvents */
  readonly events?: EventSink;
  readonly signal?: AbortSignal;
  /**
   * How a session to a host is opened. @default SSH ({@link openHostShell}); tests on loopback
   * addresses give a LocalShell per host
   */
  readonly openShell?: (host: BootstrapHost) => Promise<RemoteShell>;
}

/**
 * Opens an SSH session to an inventory host (through its jump host, if any) with the inventory's
 * key, the host key checked against the cluster's known_hosts (plus keys pinned in the inventory).
 */
export function openHostShell(host: BootstrapHost, o: InventoryAccessOptions): Promise<SshShell> {
  const inv = o.inventory;
  const hostKeys = {
    knownHostsPath: join(o.stateDir, 'known_hosts'),
    trustNewHosts: o.trustNewHosts ?? false,
    pinnedHostKeys: [host.hostKey, inv.jumpHost?.hostKey].filter((k): k is string => Boolean(k)),
  };
  return connectSsh({
    host: host.address,
    port: host.port,
    username: host.user,
    name: host.name,
    ...(inv.privateKeyFile ? { privateKeyPath: inv.privateKeyFile } : {}),
    ...(inv.jumpHost
      ? {
          jumpHost: {
            host: inv.jumpHost.address,
            port: inv.jumpHost.port,
            username: inv.jumpHost.user,
            ...(inv.privateKeyFile ? { privateKeyPath: inv.privateKeyFile } : {}),
          },
        }
      : {}),
    hostKeys,
    retry: { attempts: o.connectAttempts ?? 10 },
    events: o.events,
    signal: o.signal,
  });
}

/** Runs `fn` with a session to `host`, closing it afterwards. */
export async function onHost<T>(
  host: BootstrapHost,
  o: InventoryAccessOptions,
  fn: (shell: RemoteShell) => Promise<T>,
): Promise<T> {
  const shell = await timedStep(o.events ?? silentEvents, host, 'connect', () =>
    o.openShell ? o.openShell(host) : openHostShell(host, o),
  );
  try {
    return await fn(shell);
  } finally {
    await shell.close();
  }
}
