/**
 * Renders the complete rule set of tugboat's own chains as `iptables-restore --noflush` input,
 * laid out as kube-proxy's iptables mode lays out its KUBE-* chains. Pure: same input, same text.
 */
import {
  EXTERNAL_SERVICES_CHAIN,
  FILTER_SERVICES_CHAIN,
  FORWARD_CHAIN,
  MARK_MASQ_CHAIN,
  NODEPORTS_CHAIN,
  POSTROUTING_CHAIN,
  SERVICES_CHAIN,
} from './chain-names.js';
import type { ProxyServicePort } from './model.js';
import { type PortFragment, renderPort } from './render-port.js';

/** kube-proxy's masquerade bit. */
export const DEFAULT_MASQUERADE_MARK = 0x4000;

/** A jump from a built-in chain to one of ours; kept exactly once. */
export interface BuiltinJump {
  readonly table: 'nat' | 'filter';
  readonly chain: string;
  readonly target: string;
  /** Match and comment, without `-A chain` and `-j target`. */
  readonly match: string;
}

/** The jumps kube-proxy installs, pointing at our chains instead. */
export const BUILTIN_JUMPS: readonly BuiltinJump[] = [
  {
    table: 'nat',
    chain: 'PREROUTING',
    target: SERVICES_CHAIN,
    match: '-m comment --comment "tugboat service portals"',
  },
  {
    table: 'nat',
    chain: 'OUTPUT',
    target: SERVICES_CHAIN,
    match: '-m comment --comment "tugboat service portals"',
  },
  {
    table: 'nat',
    chain: 'POSTROUTING',
    target: POSTROUTING_CHAIN,
    match: '-m comment --comment "tugboat postrouting rules"',
  },
  ...['INPUT', 'FORWARD'].map((chain) => ({
    table: 'filter' as const,
    chain,
    target: EXTERNAL_SERVICES_CHAIN,
    match: '-m conntrack --ctstate NEW -m comment --comment "tugboat externally-visible service portals"',
  })),
  ...['FORWARD', 'OUTPUT'].map((chain) => ({
    table: 'filter' as const,
    chain,
    target: FILTER_SERVICES_CHAIN,
    match: '-m conntrack --ctstate NEW -m comment --comment "tugboat service portals"',
  })),
  {
    table: 'filter',
    chain: 'FORWARD',
    target: FORWARD_CHAIN,
    match: '-m comment --comment "tugboat forwarding rules"',
  },
];

/** What is in the kernel now, as far as the renderer needs to know. */
export interface ExistingRules {
  /** Our chains that exist, per table. */
  readonly chains: { readonly nat: ReadonlySet<string>; readonly filter: ReadonlySet<string> };
  /** Saved rule specs (`-A CHAIN ...`) of built-in-chain jumps to our chains, per `table chain target`. */
  readonly jumps: ReadonlyMap<string, readonly string[]>;
}

/** Options of `renderRules`. */
export interface RenderOptions {
  /** The pod range: traffic to a cluster IP from outside it is masqueraded. @default none (no such rule) */
  readonly clusterCidr?: string;
  /** This node's addresses, where LoadBalancer Services are served at their port. @default [] */
  readonly nodeIPs?: readonly string[];
  /** @default 0x4000 */
  readonly masqueradeMark?: number;
}

/** The rendered input and the chains it leaves in place. */
export interface RenderedRules {
  readonly text: string;
  readonly chains: { readonly nat: ReadonlySet<string>; readonly filter: ReadonlySet<string> };
  /** Each chain's rules as rendered, to pass back as `previous` next time. */
  readonly contents: ChainContents;
}

/** The rules of each of our chains (joined lines), per table. */
export interface ChainContents {
  readonly nat: ReadonlyMap<string, string>;
  readonly filter: ReadonlyMap<string, string>;
}

/** The key of a built-in jump in `ExistingRules.jumps`. */
export function jumpKey(j: Pick<BuiltinJump, 'table' | 'chain' | 'target'>): string {
  return `${j.table} ${j.chain} ${j.target}`;
}

/**
 * Renders the whole rule set; chains of ours not in it are flushed and deleted. With `previous`
 * (what the last successful restore wrote), chains whose rules did not change are left out of the
 * text, so a change to one Service rewrites a few chains rather than thousands. With `cache`, a
 * Service port object seen last time reuses its rendered rules (the model keeps the objects of
 * unchanged Services, so nothing about them is rendered, keyed or grouped again).
 */
export function renderRules(
  ports: readonly ProxyServicePort[],
  existing: ExistingRules,
  options: RenderOptions = {},
  previous?: ChainContents,
  cache?: FragmentCache,
): RenderedRules {
  const mark = `0x${(options.masqueradeMark ?? DEFAULT_MASQUERADE_MARK).toString(16)}`;
  const nodeIPs = options.nodeIPs ?? [];
  const services: string[] = [];
  const nodePorts: string[] = [];
  const filterServices: string[] = [];
  const externalServices: string[] = [];
  const fragments: PortFragment[] = [];
  const used = new Map<ProxyServicePort, PortFragment>();
  for (const p of ports) {
    const f = used.get(p) ?? cache?.get(p) ?? renderPort(p, options.clusterCidr, nodeIPs);
    used.set(p, f);
    fragments.push(f);
    services.push(...f.services);
    nodePorts.push(...f.nodePorts);
    filterServices.push(...f.filterServices);
    externalServices.push(...f.externalServices);
  }
  if (cache) {
    // Keep only what this render used, so the cache never outgrows the Services.
    cache.clear();
    for (const [p, f] of used) cache.set(p, f);
  }
  services.push(
    `-A ${SERVICES_CHAIN} -m comment --comment "tugboat service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j ${NODEPORTS_CHAIN}`,
  );
  // Each table's chains in declaration order, with their rules as one text.
  const nat = new Map<string, string>([
    [SERVICES_CHAIN, services.join('\n')],
    [NODEPORTS_CHAIN, nodePorts.join('\n')],
    [
      POSTROUTING_CHAIN,
      [
        `-A ${POSTROUTING_CHAIN} -m mark ! --mark ${mark}/${mark} -j RETURN`,
        `-A ${POSTROUTING_CHAIN} -j MARK --xor-mark ${mark}`,
        `-A ${POSTROUTING_CHAIN} -m comment --comment "tugboat service traffic requiring SNAT" -j MASQUERADE`,
      ].join('\n'),
    ],
    [MARK_MASQ_CHAIN, `-A ${MARK_MASQ_CHAIN} -j MARK --or-mark ${mark}`],
  ]);
  for (const f of fragments) for (const [chain, text] of f.chains) if (!nat.has(chain)) nat.set(chain, text);
  const filter = new Map<string, string>([
    [FILTER_SERVICES_CHAIN, filterServices.join('\n')],
    [EXTERNAL_SERVICES_CHAIN, externalServices.join('\n')],
    [
      FORWARD_CHAIN,
      [
        `-A ${FORWARD_CHAIN} -m comment --comment "tugboat forwarding rules" -m mark --mark ${mark}/${mark} -j ACCEPT`,
        `-A ${FORWARD_CHAIN} -m comment --comment "tugboat forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`,
      ].join('\n'),
    ],
  ]);

  const lines: string[] = [];
  for (const [name, chains] of [
    ['filter', filter],
    ['nat', nat],
  ] as const) {
    // kube-proxy's partial restore: a chain whose rules are as last written is left alone.
    const last = previous?.[name];
    const write = [...chains.keys()].filter((c) => last?.get(c) !== chains.get(c));
    const stale = [...existing.chains[name]].filter((c) => !chains.has(c)).sort();
    lines.push(`*${name}`, ...write.map((c) => `:${c} - [0:0]`));
    // Declaring a stale chain flushes it, so its -X cannot fail on rules that point elsewhere.
    lines.push(...stale.map((c) => `:${c} - [0:0]`));
    for (const c of write) {
      const text = chains.get(c) ?? '';
      if (text) lines.push(text);
    }
    lines.push(...stale.map((c) => `-X ${c}`), ...renderJumpFixes(name, existing.jumps), 'COMMIT');
  }
  return {
    text: `${lines.join('\n')}\n`,
    chains: { nat: new Set(nat.keys()), filter: new Set(filter.keys()) },
    contents: { nat, filter },
  };
}

/** Inserts missing built-in jumps and deletes duplicates (left by a crash mid-install, say). */
function renderJumpFixes(table: 'nat' | 'filter', jumps: ExistingRules['jumps']): string[] {
  const out: string[] = [];
  for (const j of BUILTIN_JUMPS) {
    if (j.table !== table) continue;
    const present = jumps.get(jumpKey(j)) ?? [];
    if (present.length === 0) out.push(`-I ${j.chain} 1 ${j.match} -j ${j.target}`);
    for (const extra of present.slice(1)) out.push(extra.replace(/^-A /, '-D '));
  }
  return out;
}

/** Rendered fragments by Service port object; owned by one syncer (its options never change). */
export type FragmentCache = Map<ProxyServicePort, PortFragment>;
