import type { BootstrapHost } from '../bootstrap/bootstrap-hosts.js';
import { etcdClusterHealth } from '../bootstrap/etcd-health.js';
import type { EtcdMember } from '../bootstrap/etcd-install.js';
import type { HostLayout } from '../bootstrap/layout.js';
import { NODE_RUNTIME, runtimePaths } from '../bootstrap/node-runtime.js';
import { sh } from '../ssh/quote.js';
import type { RemoteShell } from '../ssh/remote-shell.js';
import type { MastersEtcdCheck } from './master-health.js';

/**
 * The health check the roll runs on a master: bootstrap's own {@link etcdClusterHealth} (one
 * judgement of etcd for bootstrap, status and the upgrade), run with the Node.js the master has.
 */
export function mastersEtcdCheck(
  members: readonly EtcdMember[],
  layoutFor: (host: BootstrapHost) => HostLayout,
  openShell: (host: BootstrapHost) => Promise<RemoteShell>,
): MastersEtcdCheck {
  const nodePaths = new WeakMap<RemoteShell, Promise<string>>();
  return {
    openShell,
    health: async (master, shell, signal) => {
      const layout = layoutFor(master);
      let nodePath = nodePaths.get(shell);
      if (!nodePath) {
        nodePath = hostNodePath(shell, layout, signal);
        nodePaths.set(shell, nodePath);
      }
      return etcdClusterHealth(shell, {
        members,
        layout,
        nodePath: await nodePath,
        ...(signal ? { signal } : {}),
      });
    },
  };
}

/**
 * The Node.js to run the check with: this build's pinned runtime when the master has it, else the
 * runtime an older bootstrap installed (a master not rolled yet), else the host's `node`.
 */
async function hostNodePath(shell: RemoteShell, layout: HostLayout, signal?: AbortSignal): Promise<string> {
  const paths = runtimePaths(layout, NODE_RUNTIME.version);
  const result = await shell.exec(
    `for n in ${sh`${paths.node}`} ${sh`${paths.root}`}/*/bin/node; do [ -x "$n" ] && { printf %s "$n"; exit 0; }; done; command -v node || true`,
    { timeoutMs: 15_000, ...(signal ? { signal } : {}) },
  );
  return result.stdout.trim() || 'node';
}
