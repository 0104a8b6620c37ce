/**
 * The agent's service proxy (kube-proxy's iptables mode): caches Services and EndpointSlices
 * through list-watch, keeps the rules' model per Service (rebuilding only the Services whose
 * Service or slices changed, as kube-proxy's change trackers do), and after each change (batched) or on a
 * timer rewrites tugboat's chains from it. Failures are reported and retried with a full resync; they never end the agent.
 * With a `backend` (the userspace proxy), the same model goes to listeners instead of rules.
 */
import type { KubeClient } from '../../../client/client.js';
import { type ListWatch, runListWatch } from '../../../client/list-watch.js';
import { type ResourceType, resources } from '../../../client/types.js';
import { type EventSink, silentEvents } from '../../../events.js';
import type { EndpointSlice, KubeObject, Service } from '../../../kube/index.js';
import { type Conntrack, staleUdpFlows } from './conntrack.js';
import { HealthCheckServers, healthCheckTargets } from './health-check.js';
import type { Iptables } from './iptables.js';
import type { ProxyServicePort } from './model.js';
import { ServicePortModel } from './model-tracker.js';
import type { RenderOptions } from './render.js';
import { SliceIndex } from './slice-index.js';
import { RuleSyncer } from './sync-rules.js';

/**
 * Where the model goes after each change: kernel rules (kube-proxy's iptables mode) or userspace
 * listeners (its old userspace mode). A failed sync is retried with a full one.
 */
export interface ProxyBackend {
  /** Makes the backend serve `ports`; `full` asks it to re-read what it cannot trust. */
  sync(ports: readonly ProxyServicePort[], full: boolean): Promise<{ lines: number }>;
  /** Releases what the backend holds (listeners); kernel rules stay for the next agent. */
  close?(): Promise<void>;
}

/** Options of `ServiceProxy`. */
export interface ServiceProxyOptions extends RenderOptions {
  readonly client: KubeClient;
  /** Kernel rules through this iptables; needed unless `backend` is given. */
  readonly iptables?: Iptables;
  /** Serves the model some other way than iptables (the userspace proxy). @default rules through `iptables` */
  readonly backend?: ProxyBackend;
  /** @default silentEvents */
  readonly events?: EventSink;
  /**
   * Syncs start at least this far apart (kube-proxy's minSyncPeriod): a change after a quiet spell
   * is applied at once, and changes during the window wait for its end and go together. @default 100
   */
  readonly batchMs?: number;
  /** Full resync (re-reading the kernel) this often, putting right what others changed. @default 60_000 */
  readonly resyncMs?: number;
  /** Retry delay after a failed sync, doubling up to `resyncMs`. @default 1_000 */
  readonly retryMs?: number;
  /** This node's name: the endpoints a `Local` traffic policy keeps. @default none (no endpoint is local) */
  readonly nodeName?: string;
  /** Where health check node ports are served. @default '0.0.0.0' */
  readonly healthCheckHost?: string;
  /** Deletes stale UDP flows after endpoints go (kube-proxy does). @default none (flows are left) */
  readonly conntrack?: Conntrack;
}

/** Cache of one kind, keyed `namespace/name`. */
class Cache<T extends KubeObject> {
  readonly items = new Map<string, T>();
  replace(items: T[]): void {
    this.items.clear();
    for (const i of items) this.items.set(key(i), i);
  }
  apply(type: string, obj: T): string {
    const k = key(obj);
    if (type === 'DELETED') this.items.delete(k);
    else this.items.set(k, obj);
    return k;
  }
}

function key(o: KubeObject): string {
  return `${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`;
}

/** A running service proxy; `start()` resolves once the first rules are in the kernel. */
export class ServiceProxy {
  private readonly services = new Cache<Service>();
  private readonly slices = new SliceIndex();
  private readonly model: ServicePortModel;
  private readonly health: HealthCheckServers;
  private readonly syncer: ProxyBackend;
  private readonly events: EventSink;
  private readonly watches: ListWatch[] = [];
  private timer: NodeJS.Timeout | undefined;
  /** When `timer` fires (performance.now()). */
  private timerDue = Number.POSITIVE_INFINITY;
  /** When the last sync started (performance.now()). */
  private lastStart = Number.NEGATIVE_INFINITY;
  private running: Promise<void> | undefined;
  private dirty = false;
  private forceFull = true;
  private lastFull = Number.NEGATIVE_INFINITY;
  private failures = 0;
  private stopped = false;
  private synced = false;
  /** The model last written; undefined before the first sync, which clears no flows. */
  private lastPorts: readonly ProxyServicePort[] | undefined;

  constructor(private readonly options: ServiceProxyOptions) {
    if (options.backend) this.syncer = options.backend;
    else if (options.iptables) this.syncer = new RuleSyncer(options.iptables, options);
    else throw new Error('ServiceProxy needs iptables or a backend');
    this.events = options.events ?? silentEvents;
    this.model = new ServicePortModel(options.nodeName);
    this.health = new HealthCheckServers({ host: options.healthCheckHost, events: this.events });
  }

  /** Starts both list-watches, waits for their first lists and applies the first full sync. */
  async start(): Promise<void> {
    const watch = <T extends KubeObject>(
      type: ResourceType,
      cache: { replace(items: T[]): void; apply(type: string, obj: T): string | string[] },
    ) =>
      runListWatch<T>(
        this.options.client,
        type,
        {},
        {
          onReplace: (items) => {
            cache.replace(items);
            this.model.markAllStale();
            this.changed();
          },
          onEvent: (e) => {
            const keys = cache.apply(e.type, e.object);
            for (const k of typeof keys === 'string' ? [keys] : keys) this.model.markStale(k);
            this.changed();
          },
          onError: (err) => this.warn('agent.service-proxy.watch-error', `watching ${type.resource}`, err),
        },
      );
    this.watches.push(
      watch<Service>(resources.services, this.services),
      watch<EndpointSlice>(resources.endpointSlices, this.slices),
    );
    await Promise.all(this.watches.map((w) => w.synced));
    this.synced = true;
    await this.syncNow();
  }

  /** Applies the cache now (a full resync when one is due); resolves when written or failed. */
  async syncNow(): Promise<void> {
    while (this.running) await this.running;
    this.dirty = false;
    this.running = this.runSync().finally(() => {
      this.running = undefined;
    });
    await this.running;
  }

  /** Stops watching, syncing and health checks; the rules stay, so traffic keeps flowing until the next agent. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await Promise.all(this.watches.map((w) => w.stop()));
    await this.running;
    await this.health.close();
    await this.syncer.close?.();
  }

  /**
   * As kube-proxy's BoundedFrequencyRunner, not a debounce: a change never pushes a sync already
   * planned further away, so a steady stream of changes (a rollout, a flapping probe elsewhere)
   * cannot hold back the one that takes an unready endpoint out.
   */
  private changed(): void {
    this.dirty = true;
    if (this.synced) this.scheduleBy(this.lastStart + (this.options.batchMs ?? 100) - performance.now());
  }

  /** Plans a sync in `delayMs` unless one is planned sooner. */
  private scheduleBy(delayMs: number): void {
    if (this.stopped) return;
    const due = performance.now() + Math.max(0, delayMs);
    if (this.timer && this.timerDue <= due) return;
    this.schedule(Math.max(0, delayMs));
  }

  /** Plans the next sync in `delayMs`, replacing any planned one. */
  private schedule(delayMs: number): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerDue = performance.now() + delayMs;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.timerDue = Number.POSITIVE_INFINITY;
      void this.syncNow();
    }, delayMs);
  }

  private async runSync(): Promise<void> {
    const resync = this.options.resyncMs ?? 60_000;
    const batch = this.options.batchMs ?? 100;
    const started = performance.now();
    this.lastStart = started;
    const full = this.forceFull || started - this.lastFull >= resync;
    try {
      const ports = this.model.ports(this.services.items, this.slices);
      const { lines } = await this.syncer.sync(ports, full);
      const before = this.lastPorts;
      this.lastPorts = ports;
      await this.health.sync(healthCheckTargets(ports));
      if (before) await this.clearStaleFlows(before, ports);
      if (full) this.lastFull = started;
      this.forceFull = false;
      this.failures = 0;
      this.events.emit({
        code: 'agent.service-proxy.synced',
        level: 'debug',
        message: `service rules applied (${ports.length} service ports, ${lines} lines, ${full ? 'full' : 'partial'})`,
        data: { ports: ports.length, lines, full, ms: Math.round(performance.now() - started) },
      });
    } catch (err) {
      // The kernel may hold anything after a failure: read it again next time.
      this.forceFull = true;
      this.failures++;
      this.warn('agent.service-proxy.sync-error', 'applying service rules', err);
      this.schedule(Math.min((this.options.retryMs ?? 1000) * 2 ** Math.min(this.failures - 1, 10), resync));
      return;
    }
    // A change that came in during this sync already planned its own (scheduleBy), no later than this.
    this.schedule(
      this.dirty
        ? Math.max(0, Math.min(this.timerDue - performance.now(), started + batch - performance.now()))
        : Math.max(0, this.lastFull + resync - performance.now()),
    );
  }

  /** After the rules no longer lead to an endpoint, its UDP flows go too; failures only warn. */
  private async clearStaleFlows(
    before: readonly ProxyServicePort[],
    after: readonly ProxyServicePort[],
  ): Promise<void> {
    const conntrack = this.options.conntrack;
    if (!conntrack) return;
    const failed: string[] = [];
    let deleted = 0;
    for (const filter of staleUdpFlows(before, after)) {
      try {
        deleted += await conntrack.deleteUdp(filter);
      } catch (err) {
        failed.push((err as Error).message);
      }
    }
    if (deleted > 0)
      this.events.emit({
        code: 'agent.service-proxy.conntrack-cleared',
        level: 'debug',
        message: `deleted ${deleted} stale UDP flows`,
        data: { deleted },
      });
    if (failed.length > 0)
      this.warn('agent.service-proxy.conntrack-error', 'deleting stale UDP flows', new Error(failed[0]));
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
