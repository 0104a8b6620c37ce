import { AGENT_SERVICE } from './agent-install.js';
import { mastersOf } from './bootstrap-hosts.js';
import { CONTROL_PLANE_SERVICE } from './control-plane-install.js';
import { ETCD_SERVICE } from './etcd-install.js';
import { type InventoryAccessOptions, onHost } from './inventory-access.js';
import { DEFAULT_HOST_LAYOUT } from './layout.js';
import { type HostOutcome, runOnHosts } from './run-hosts.js';
import { type UninstallResult, uninstallHost } from './uninstall.js';

/** Removes tugboat (services, processes, files) from every host of an inventory, every master included; failures are per host. */
export function uninstallInventory(
  options: InventoryAccessOptions & { readonly keepData?: boolean },
): Promise<HostOutcome<UninstallResult>[]> {
  const layoutFor = options.layoutFor ?? (() => DEFAULT_HOST_LAYOUT);
  const hosts = [...mastersOf(options.inventory), ...options.inventory.workers];
  return runOnHosts(
    hosts,
    (host) =>
      onHost(host, options, (shell) =>
        uninstallHost(shell, {
          layout: layoutFor(host),
          // etcd runs only on masters of an etcd cluster; removing an absent service is a no-op.
          services: [CONTROL_PLANE_SERVICE, ETCD_SERVICE, AGENT_SERVICE],
          nodeName: host.name,
          events: options.events,
          ...(options.keepData ? { keepData: true } : {}),
        }),
      ),
    { concurrency: options.concurrency, events: options.events, signal: options.signal },
  );
}
