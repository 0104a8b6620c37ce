/** The service proxy's iptables, reached through a host's shell, so `uninstall` can remove its rules. */
import type { Iptables } from '../agent/network/service-proxy/iptables.js';
import { removeServiceRules } from '../agent/network/service-proxy/sync-rules.js';
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
