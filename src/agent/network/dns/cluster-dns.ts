/**
 * The node's cluster DNS: list-watches Services and Endpoints into the zone's caches and serves
 * them on the pod network's gateway address (see docs/networking.md for why there and not on a
 * ClusterIP). The address appears only once the bridge is up, so binding is retried until it works.
 */
import { readFileSync } from 'node:fs';
import type { KubeClient } from '../../../client/client.js';
import { type ListWatch, runListWatch } from '../../../client/list-watch.js';
import { type ResourceType, resources } from '../../../client/types.js';
import { cidrContains, formatCidr, parseCidr } from '../../../config/cidr.js';
import { type EventSink, silentEvents } from '../../../events.js';
import type { EndpointSlice, KubeObject, Service } from '../../../kube/index.js';
import { sleep } from '../../../timing.js';
import { SliceIndex } from '../service-proxy/slice-index.js';
import { DnsServer } from './dns-server.js';
import { UpstreamForwarder } from './forwarder.js';
import { HOST_RESOLV_CONF } from './host-resolv.js';
import { ClusterZone } from './records.js';
import { parseResolvConf, type ResolvConf } from './resolv-conf.js';

/** Options of `ClusterDns`. */
export interface ClusterDnsOptions {
  readonly client: KubeClient;
  /** The address to serve on, once known (the node's pod gateway). */
  readonly listenHost: () => string | undefined;
  /** @default 53 */
  readonly port?: number;
  /** The cluster pod range: only it and loopback may ask. */
  readonly clusterCidr: string;
  /** The host's resolv.conf text (read again at most every 30 s). @default reads /etc/resolv.conf */
  readonly hostResolvConf?: () => string;
  /** How often to try binding while the address is not up yet. @default 1_000 */
  readonly retryMs?: number;
  /** @default silentEvents */
  readonly events?: EventSink;
}

function key(o: KubeObject): string {
  return `${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`;
}

/** The pods' gateway (the bridge's address, where the DNS listens): the block's first host address. */
export function podGateway(nodeCidr: string | undefined): string | undefined {
  const parsed = parseCidr(nodeCidr ?? '');
  return parsed ? formatCidr({ base: parsed.cidr.base + 1, prefix: 32 }).replace(/\/32$/, '') : undefined;
}

/** True for an IPv4 address inside `cidr` or in 127.0.0.0/8 (IPv4-mapped IPv6 forms included). */
export function buildClientFilter(cidr: string): (address: string) => boolean {
  const parsed = parseCidr(cidr);
  const ranges = [parsed?.cidr, parseCidr('127.0.0.0/8')?.cidr].filter((r) => r !== undefined);
  return (address) => {
    const v4 = address.replace(/^::ffff:/i, '');
    const one = parseCidr(`${v4}/32`);
    if (!one || !/^\d{1,3}(\.\d{1,3}){3}$/.test(v4)) return false;
    return ranges.some((r) => cidrContains(r, one.cidr));
  };
}

/** The node's DNS server; `start()` returns at once and binds in the background. */
export class ClusterDns {
  private readonly services = new Map<string, Service>();
  private readonly slices = new SliceIndex();
  private readonly watches: ListWatch[] = [];
  private readonly events: EventSink;
  private server: DnsServer | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private upstream: { at: number; conf: ResolvConf } | undefined;
  readonly zone = new ClusterZone({ services: this.services, endpoints: this.slices });

  constructor(private readonly options: ClusterDnsOptions) {
    this.events = options.events ?? silentEvents;
  }

  /** The bound port once serving (tests listen on port 0). */
  get port(): number | undefined {
    return this.server?.port;
  }

  start(): void {
    const watch = <T extends KubeObject>(type: ResourceType, cache: Map<string, T>) =>
      runListWatch<T>(
        this.options.client,
        type,
        {},
        {
          onReplace: (items) => {
            cache.clear();
            for (const i of items) cache.set(key(i), i);
          },
          onEvent: (e) => {
            if (e.type === 'DELETED') cache.delete(key(e.object));
            else cache.set(key(e.object), e.object);
          },
          onError: (err) => this.warn('agent.dns.watch-error', `watching ${type.resource}`, err),
        },
      );
    this.watches.push(
      watch(resources.services, this.services),
      runListWatch<EndpointSlice>(
        this.options.client,
        resources.endpointSlices,
        {},
        {
          onReplace: (items) => this.slices.replace(items),
          onEvent: (e) => void this.slices.apply(e.type, e.object),
          onError: (err) => this.warn('agent.dns.watch-error', 'watching endpointslices', err),
        },
      ),
    );
    void this.tryBind();
  }

  /** Resolves once the listener is bound (for tests and the agent's readiness). */
  async serving(timeoutMs: number): Promise<number> {
    const until = Date.now() + timeoutMs;
    while (!this.server && Date.now() < until && !this.stopped) await sleep(50);
    if (!this.server) throw new Error(`cluster dns not serving after ${timeoutMs} ms`);
    return this.server.port;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await Promise.all(this.watches.map((w) => w.stop()));
    await this.server?.stop();
    this.server = undefined;
  }

  private async tryBind(): Promise<void> {
    if (this.stopped || this.server) return;
    const host = this.options.listenHost();
    if (host) {
      const server = new DnsServer({
        host,
        port: this.options.port ?? 53,
        zone: this.zone,
        forwarder: new UpstreamForwarder({ servers: () => this.upstreams(host) }),
        allowed: buildClientFilter(this.options.clusterCidr),
        events: this.events,
      });
      try {
        await server.start();
        if (this.stopped) {
          await server.stop();
          return;
        }
        this.server = server;
        this.events.emit({
          code: 'agent.dns.serving',
          level: 'info',
          message: `cluster dns serving on ${host}:${server.port}`,
          data: { host, port: server.port },
        });
        return;
      } catch (err) {
        // EADDRNOTAVAIL until the bridge has its address; anything else is worth a warning.
        if ((err as NodeJS.ErrnoException).code !== 'EADDRNOTAVAIL')
          this.warn('agent.dns.bind-error', `binding ${host}`, err);
      }
    }
    this.timer = setTimeout(() => void this.tryBind(), this.options.retryMs ?? 1000);
  }

  /** The host's resolvers, minus our own address (a loop, as CoreDNS's `loop` plugin guards). */
  private upstreams(self: string): string[] {
    const now = Date.now();
    if (!this.upstream || now - this.upstream.at > 30_000) {
      let text = '';
      try {
        text = this.options.hostResolvConf
          ? this.options.hostResolvConf()
          : readFileSync(HOST_RESOLV_CONF, 'utf8');
      } catch (err) {
        this.warn('agent.dns.resolv-conf', `reading ${HOST_RESOLV_CONF}`, err);
      }
      this.upstream = { at: now, conf: parseResolvConf(text) };
    }
    return this.upstream.conf.nameservers.filter((n) => n !== self);
  }

  private warn(code: string, doing: string, err: unknown): void {
    this.events.emit({
      code,
      level: 'warn',
      message: `${doing} failed: ${(err as Error).message}`,
      data: {},
    });
  }
}
