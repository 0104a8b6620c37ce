/** Applies the rendered rule set: a full resync reads the kernel first, later syncs trust the last write. */
import type { Iptables } from './iptables.js';
import type { ProxyServicePort } from './model.js';
import {
  BUILTIN_JUMPS,
  type ChainContents,
  type ExistingRules,
  type FragmentCache,
  jumpKey,
  type RenderOptions,
  renderRules,
} from './render.js';
import { parseSavedRules, renderRemoval } from './saved-rules.js';

/** Keeps our chains in step with the desired service ports. */
export class RuleSyncer {
  private known: ExistingRules | undefined;
  private written: ChainContents | undefined;
  private readonly fragments: FragmentCache = new Map();

  constructor(
    private readonly iptables: Iptables,
    private readonly options: RenderOptions = {},
  ) {}

  /**
   * Writes the whole rule set in one `iptables-restore --noflush`. With `full` (at start and
   * periodically) the kernel's state is read first, so chains and jumps changed behind our back
   * (or left by a killed agent) are put right; otherwise the state written last time is assumed.
   * Only chains whose rules changed since the last write, or that are missing from the kernel, are
   * written (kube-proxy's partial restores since 1.26); a new syncer (agent start) writes them all.
   * A failed restore forgets that state, so the next sync is a full one.
   */
  async sync(ports: readonly ProxyServicePort[], full: boolean): Promise<{ lines: number }> {
    const existing = full || !this.known ? parseSavedRules(await this.iptables.save()) : this.known;
    // A full sync still skips chains it wrote before and the kernel still has: rewriting 10,000
    // unchanged chains costs tens of seconds with the nf_tables backend (bench/service-proxy.md).
    const previous = this.written && (full ? presentOnly(this.written, existing) : this.written);
    const rendered = renderRules(ports, existing, this.options, previous, this.fragments);
    this.known = undefined;
    this.written = undefined;
    await this.iptables.restore(rendered.text);
    this.known = {
      chains: rendered.chains,
      jumps: new Map(BUILTIN_JUMPS.map((j) => [jumpKey(j), [`-A ${j.chain} ${j.match} -j ${j.target}`]])),
    };
    this.written = rendered.contents;
    return { lines: rendered.text.split('\n').length };
  }
}

function presentOnly(written: ChainContents, existing: ExistingRules): ChainContents {
  const keep = (m: ReadonlyMap<string, string>, present: ReadonlySet<string>) =>
    new Map([...m].filter(([chain]) => present.has(chain)));
  return {
    nat: keep(written.nat, existing.chains.nat),
    filter: keep(written.filter, existing.chains.filter),
  };
}

/** Removes every jump to our chains and every chain of ours; rules of others stay as they are. */
export async function removeServiceRules(iptables: Iptables): Promise<void> {
  const existing = parseSavedRules(await iptables.save());
  const any = existing.jumps.size > 0 || existing.chains.nat.size > 0 || existing.chains.filter.size > 0;
  if (any) await iptables.restore(renderRemoval(existing));
}
