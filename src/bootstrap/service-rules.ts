/**
 * The agent's kernel state (service proxy rules, pod network devices and rules), reached through a
 * host's shell, so `uninstall` can remove it.
 */
import { removePodNetwork } from '../agent/network/host-network.js';
import { type CommandRunner, IpKernelNetwork } from '../agent/network/kernel.js';
import type { Iptables } from '../agent/network/service-proxy/iptables.js';
import { removeServiceRules } from '../agent/network/service-proxy/sync-rules.js';
import { quote } from '../ssh/quote.js';
import { type RemoteShell, runChecked } from '../ssh/remote-shell.js';

/** iptables-save / iptables-restore on the host; a host without iptables has no rules to remove. */
export function shellIptables(shell: RemoteShell): Iptables {
  return {
    async save() {
      const r = await runChecked(
        shell,
        'command -v iptables-save >/dev/null 2>&1 || exit 0; iptables-save -t filter && iptables-save -t nat',
        { step: 'read service rules', timeoutMs: 60_000 },
      );
      return r.stdout;
    },
    async restore(input) {
      await runChecked(shell, 'iptables-restore --noflush --wait', {
        step: 'remove service rules',
        stdin: input,
        timeoutMs: 60_000,
      });
    },
  };
}

/** Removes the service proxy's chains and the jumps to them; every other rule stays. */
export function removeHostServiceRules(shell: RemoteShell): Promise<void> {
  return removeServiceRules(shellIptables(shell));
}

/** Runs the kernel network's commands (`ip`, `bridge`, `iptables-*`) over a host's shell. */
export function shellCommandRunner(shell: RemoteShell): CommandRunner {
  return async (argv, stdin) =>
    (
      await runChecked(shell, argv.map(quote).join(' '), {
        step: 'remove pod network',
        ...(stdin !== undefined ? { stdin } : {}),
        timeoutMs: 60_000,
      })
    ).stdout;
}

/**
 * Removes the pod network (`removePodNetwork`): pod veths, the VXLAN device `tugboat.1` with its
 * routes and entries, the bridge `tugboat0`, and the `TUGBOAT-POD-*` chains and their jumps. Every
 * other device and rule (Docker's included) stays. A host without `ip` or `iptables-save` has none.
 */
export async function removeHostPodNetwork(shell: RemoteShell): Promise<void> {
  const tools = await shell.exec(
    'command -v ip >/dev/null 2>&1 && command -v iptables-save >/dev/null 2>&1 && echo yes',
  );
  if (tools.stdout.trim() !== 'yes') return;
  await removePodNetwork(new IpKernelNetwork(shellCommandRunner(shell)));
}
