/**
 * A pod's /etc/resolv.conf as the kubelet builds it (pkg/kubelet/network/dns): by `dnsPolicy`
 * from the cluster DNS or the host's file, then merged with `dnsConfig`. Pure.
 */
import type { Pod } from '../../../kube/index.js';

/** The three settings of a resolv.conf. */
export interface ResolvConf {
  readonly nameservers: readonly string[];
  readonly searches: readonly string[];
  readonly options: readonly string[];
}

/** The kubelet's limits: 3 nameservers (glibc's MAXNS), 32 search domains of 2048 characters in all. */
const MAX_NAMESERVERS = 3;
const MAX_SEARCHES = 32;
const MAX_SEARCH_CHARS = 2048;
const TOKEN = /^[^\s#;]+$/;

/** Reads a resolv.conf's nameserver, search/domain and options lines; others are ignored. */
export function parseResolvConf(text: string): ResolvConf {
  const nameservers: string[] = [];
  let searches: string[] = [];
  const options: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/[#;].*$/, '').trim();
    const [key, ...values] = line.split(/\s+/);
    if (key === 'nameserver' && values[0]) nameservers.push(values[0]);
    // As in glibc, the last search or domain line wins.
    else if (key === 'search') searches = values;
    else if (key === 'domain' && values[0]) searches = [values[0]];
    else if (key === 'options') options.push(...values);
  }
  return { nameservers, searches, options };
}

/** True when every nameserver is a local stub (systemd-resolved's 127.0.0.53), useless inside a pod. */
export function onlyLoopbackNameservers(conf: ResolvConf): boolean {
  return conf.nameservers.length > 0 && conf.nameservers.every((n) => n.startsWith('127.') || n === '::1');
}

/** What `buildPodResolvConf` needs besides the pod. */
export interface PodDnsContext {
  /** The cluster DNS address pods use. */
  readonly clusterDns: string;
  /** @default 'cluster.local' */
  readonly zone?: string;
  /** The host's resolv.conf (for `Default` and the host's search domains). */
  readonly host: ResolvConf;
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string' && TOKEN.test(v)) : [];
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}

/** Options by name, later ones replacing earlier ones of the same name (the kubelet's mergeDNSOptions). */
function mergeOptions(base: readonly string[], extra: readonly string[]): string[] {
  const byName = new Map<string, string>();
  for (const o of [...base, ...extra]) byName.set(o.split(':')[0] ?? o, o);
  return [...byName.values()];
}

/**
 * The pod's resolv.conf: `ClusterFirst` (the default; `Default` for host-network pods),
 * `ClusterFirstWithHostNet`, `Default` (the host's) or `None` (only `dnsConfig`); `dnsConfig`'s
 * nameservers, searches and options are appended, options replacing those of the same name.
 */
export function buildPodResolvConf(pod: Pod, ctx: PodDnsContext): ResolvConf {
  // Stored objects are trusted to be validated, and still read defensively: nothing here may throw.
  const spec = pod.spec as Omit<Pod['spec'], 'dnsPolicy' | 'dnsConfig'> & {
    dnsPolicy?: unknown;
    dnsConfig?: unknown;
  };
  const policy = typeof spec.dnsPolicy === 'string' ? spec.dnsPolicy : 'ClusterFirst';
  const zone = ctx.zone ?? 'cluster.local';
  const ns = pod.metadata.namespace ?? 'default';
  const cluster =
    policy === 'ClusterFirstWithHostNet' || (policy === 'ClusterFirst' && spec.hostNetwork !== true);
  let conf: ResolvConf;
  if (policy === 'None') conf = { nameservers: [], searches: [], options: [] };
  else if (cluster)
    conf = {
      nameservers: [ctx.clusterDns],
      searches: [`${ns}.svc.${zone}`, `svc.${zone}`, zone, ...ctx.host.searches],
      options: ['ndots:5'],
    };
  else conf = ctx.host;
  const dnsConfig = (typeof spec.dnsConfig === 'object' && spec.dnsConfig) || {};
  const extra = dnsConfig as { nameservers?: unknown; searches?: unknown; options?: unknown };
  const extraOptions = Array.isArray(extra.options)
    ? extra.options.flatMap((o: { name?: unknown; value?: unknown }) =>
        typeof o?.name === 'string' && TOKEN.test(o.name)
          ? [typeof o.value === 'string' && TOKEN.test(o.value) ? `${o.name}:${o.value}` : o.name]
          : [],
      )
    : [];
  return {
    nameservers: unique([...conf.nameservers, ...strings(extra.nameservers)]).slice(0, MAX_NAMESERVERS),
    searches: fitSearches(unique([...conf.searches, ...strings(extra.searches)])),
    options: mergeOptions(conf.options, extraOptions),
  };
}

function fitSearches(searches: readonly string[]): string[] {
  const out: string[] = [];
  let chars = 0;
  for (const s of searches.slice(0, MAX_SEARCHES)) {
    if (chars + s.length + (out.length ? 1 : 0) > MAX_SEARCH_CHARS) break;
    chars += s.length + (out.length ? 1 : 0);
    out.push(s);
  }
  return out;
}

/** The file's text. */
export function renderResolvConf(conf: ResolvConf): string {
  const lines = [
    ...conf.nameservers.map((n) => `nameserver ${n}`),
    ...(conf.searches.length ? [`search ${conf.searches.join(' ')}`] : []),
    ...(conf.options.length ? [`options ${conf.options.join(' ')}`] : []),
  ];
  return lines.length ? `${lines.join('\n')}\n` : '';
}
