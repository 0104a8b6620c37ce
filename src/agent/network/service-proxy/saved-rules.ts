/** Reads what `iptables-save` says about the service proxy's chains: which exist and which jumps lead to them. */
import { isProxyChain } from './chain-names.js';
import { type ExistingRules, jumpKey } from './render.js';

const BUILTIN = new Set(['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING']);

/** Parses `iptables-save` output (any tables); lines it does not understand are ignored. */
export function parseSavedRules(saved: string): ExistingRules {
  const chains = { nat: new Set<string>(), filter: new Set<string>() };
  const jumps = new Map<string, string[]>();
  let table = '';
  for (const raw of saved.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('*')) {
      table = line.slice(1);
      continue;
    }
    if (table !== 'nat' && table !== 'filter') continue;
    if (line.startsWith(':')) {
      const chain = line.slice(1).split(' ')[0] ?? '';
      if (isProxyChain(chain)) chains[table].add(chain);
      continue;
    }
    const m = /^-A (\S+) .*-j (\S+)$/.exec(line);
    if (m?.[1] && m[2] && BUILTIN.has(m[1]) && isProxyChain(m[2])) {
      const key = jumpKey({ table, chain: m[1], target: m[2] });
      jumps.set(key, [...(jumps.get(key) ?? []), line]);
    }
  }
  return { chains, jumps };
}

/** The restore input that removes every jump to our chains and then the chains themselves. */
export function renderRemoval(existing: ExistingRules): string {
  const lines: string[] = [];
  for (const table of ['filter', 'nat'] as const) {
    lines.push(`*${table}`);
    for (const [key, specs] of existing.jumps) {
      if (key.startsWith(`${table} `)) lines.push(...specs.map((s) => s.replace(/^-A /, '-D ')));
    }
    const ours = [...existing.chains[table]].sort();
    lines.push(...ours.map((c) => `:${c} - [0:0]`), ...ours.map((c) => `-X ${c}`), 'COMMIT');
  }
  return `${lines.join('\n')}\n`;
}
