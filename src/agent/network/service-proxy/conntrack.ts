/**
 * UDP conntrack cleanup, as kube-proxy's `deleteStaleEndpointConnections`: a UDP flow keeps the
 * endpoint its first packet was DNATed to for as long as packets keep coming, so a DNS-like client
 * that reuses its source port would send into the void after the endpoint goes. After each sync the
 * proxy deletes the conntrack entries of UDP Service addresses NATed to an endpoint that is gone,
 * and those of a UDP Service that had no endpoint before (packets seen then were not NATed).
 */
import { spawn } from 'node:child_process';
import type { ProxyServicePort } from './model.js';

/** One `conntrack -D -p udp` selection. */
export interface ConntrackFilter {
  /** `--orig-dst`: the address the client sent to (a cluster IP or external IP). */
  readonly origDst?: string;
  /** `--orig-port-dst`: the port the client sent to (a node port). */
  readonly origPortDst?: number;
  /** `--dst-nat`: the endpoint the flow was DNATed to. */
  readonly dstNat?: string;
}

/** What the proxy needs from the kernel's connection tracking. */
export interface Conntrack {
  /** Deletes the UDP entries matching `filter`; resolves with how many went. */
  deleteUdp(filter: ConntrackFilter): Promise<number>;
}

/** Options of `commandConntrack`. */
export interface CommandConntrackOptions {
  /** Words put before the command, e.g. `['nsenter', '--net=/run/netns/x']` in tests. @default [] */
  readonly prefix?: readonly string[];
  /** @default 'conntrack' */
  readonly command?: string;
  /** A run longer than this is killed and reported. @default 10_000 */
  readonly timeoutMs?: number;
}

/** The `conntrack` tool (conntrack-tools). "0 flow entries" exits 1 and counts as success. */
export function commandConntrack(options: CommandConntrackOptions = {}): Conntrack {
  const argv0 = [...(options.prefix ?? []), options.command ?? 'conntrack'];
  return {
    deleteUdp(filter) {
      const args = ['-D', '-p', 'udp'];
      if (filter.origDst) args.push('--orig-dst', filter.origDst);
      if (filter.origPortDst) args.push('--orig-port-dst', String(filter.origPortDst));
      if (filter.dstNat) args.push('--dst-nat', filter.dstNat);
      return new Promise((resolve, reject) => {
        const [cmd, ...rest] = [...argv0, ...args];
        const child = spawn(cmd ?? '', rest, {
          stdio: ['ignore', 'ignore', 'pipe'],
          timeout: options.timeoutMs ?? 10_000,
        });
        let err = '';
        child.stderr.on('data', (b: Buffer) => {
          if (err.length < 4096) err += b.toString('utf8');
        });
        child.on('error', (e) => reject(new Error(`cannot run ${argv0.join(' ')}: ${e.message}`)));
        child.on('close', (code, signal) => {
          const deleted = /(\d+) flow entries have been deleted/.exec(err);
          if ((code === 0 || code === 1) && deleted) return resolve(Number(deleted[1]));
          const why = signal ? `was killed (${signal})` : `exited with ${String(code)}`;
          reject(
            new Error(
              `${[...argv0, ...args].join(' ')} ${why}: ${err.trim().split('\n').slice(-3).join('\n')}`,
            ),
          );
        });
      });
    },
  };
}

function usable(p: ProxyServicePort): ProxyServicePort['endpoints'] {
  return p.endpoints.filter((e) => e.ready);
}

/**
 * The entries to delete after the model went from `before` to `after` (pure): for every UDP Service
 * port, each endpoint address no longer usable, at the cluster IP, the external IPs and the node
 * port; and a port that had no usable endpoint and has one now, at those addresses whatever the NAT.
 */
export function staleUdpFlows(
  before: readonly ProxyServicePort[],
  after: readonly ProxyServicePort[],
): ConntrackFilter[] {
  const key = (p: ProxyServicePort) => `${p.namespace}/${p.name}:${p.portName}/${p.protocol}`;
  const now = new Map(after.filter((p) => p.protocol === 'UDP').map((p) => [key(p), p]));
  const out = new Map<string, ConntrackFilter>();
  const add = (f: ConntrackFilter) => out.set(JSON.stringify(f), f);
  const addresses = (p: ProxyServicePort, dstNat?: string) => {
    for (const ip of [p.clusterIP, ...p.externalIPs]) add({ origDst: ip, ...(dstNat ? { dstNat } : {}) });
    if (p.nodePort) add({ origPortDst: p.nodePort, ...(dstNat ? { dstNat } : {}) });
  };
  for (const old of before) {
    if (old.protocol !== 'UDP') continue;
    const next = now.get(key(old));
    const kept = new Set(next ? usable(next).map((e) => e.ip) : []);
    for (const e of usable(old)) if (!kept.has(e.ip)) addresses(old, e.ip);
  }
  const had = new Map(before.filter((p) => p.protocol === 'UDP').map((p) => [key(p), usable(p).length > 0]));
  for (const [k, p] of now) if (!had.get(k) && usable(p).length > 0) addresses(p);
  return [...out.values()];
}
