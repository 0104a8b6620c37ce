/**
 * The service proxy's model kept per Service, as kube-proxy's change trackers keep it: a change to
 * one Service or its endpoints rebuilds that Service's ports only, and every other Service keeps
 * its port objects, which the renderer's fragment cache is keyed by (so nothing about them is
 * rendered, keyed or compared again).
 */
import type { Service } from '../../../kube/index.js';
import { type EndpointLookup, type ProxyServicePort, servicePortKey, servicePortsOf } from './model.js';

/** One Service's ports, with their sort keys (computed once per rebuild). */
interface ModelEntry {
  readonly ports: readonly ProxyServicePort[];
  readonly keys: readonly string[];
}

/** The model per `namespace/name` key. */
export class ServicePortModel {
  private readonly entries = new Map<string, ModelEntry>();
  private readonly stale = new Set<string>();
  private allStale = true;

  /** @param nodeName this node's name, which marks the endpoints the traffic policies' `Local` keeps */
  constructor(private readonly nodeName?: string) {}

  /** The Service under `key`, or its endpoints, changed (or went). */
  markStale(key: string): void {
    this.stale.add(key);
  }

  /** Everything may have changed (a relist). */
  markAllStale(): void {
    this.allStale = true;
  }

  /**
   * The model brought up to date from the caches (keyed `namespace/name`) for what was marked,
   * sorted by service port key as kube-proxy sorts.
   */
  ports(services: ReadonlyMap<string, Service>, endpoints: EndpointLookup): ProxyServicePort[] {
    const keys = this.allStale ? [...this.entries.keys(), ...services.keys()] : [...this.stale];
    this.allStale = false;
    this.stale.clear();
    for (const k of keys) {
      const svc = services.get(k);
      const ports = svc ? servicePortsOf(svc, endpoints.get(k), this.nodeName) : [];
      if (ports.length === 0) this.entries.delete(k);
      else this.entries.set(k, { ports, keys: ports.map(servicePortKey) });
    }
    const pairs: [string, ProxyServicePort][] = [];
    for (const entry of this.entries.values()) {
      for (let i = 0; i < entry.ports.length; i++) pairs.push([entry.keys[i]!, entry.ports[i]!]);
    }
    pairs.sort((a, b) => (a[0] < b[0] ? -1 : 1));
    return pairs.map((pair) => pair[1]);
  }
}
