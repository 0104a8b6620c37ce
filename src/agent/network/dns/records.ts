/**
 * The cluster zone's answers, as CoreDNS's `kubernetes` plugin gives them (with `pods insecure`),
 * computed from the Service and EndpointSlice caches. Pure: a question in, an answer out.
 *
 * - `<svc>.<ns>.svc.<zone>` A: the ClusterIP; headless: the ready endpoints' addresses (none ready
 *   is NXDOMAIN, as CoreDNS and kube-dns answer); `ExternalName`: a CNAME.
 * - `<host>.<svc>.<ns>.svc.<zone>` A for a headless Service's ready endpoints, `<host>` being the
 *   address's `hostname` (set for pods whose `spec.subdomain` names the Service) or its IP with dashes.
 * - `_<port>._<proto>.<svc>.<ns>.svc.<zone>` SRV for named ports; SRV on `<svc>.<ns>.svc.<zone>`
 *   lists every named port.
 * - `<a-b-c-d>.<ns>.pod.<zone>` A: the address in the name (CoreDNS's `pods insecure`).
 * - A name that exists with no record of the asked type is NODATA (NOERROR, SOA in authority);
 *   a name that does not exist is NXDOMAIN.
 */
import type { EndpointSlice, Endpoints, Service } from '../../../kube/index.js';

/** The records' TTL in seconds (CoreDNS's `kubernetes` plugin default). */
export const CLUSTER_TTL = 5;

/** One answer record (a subset of dns-packet's Answer, all we serve). */
export type ZoneRecord =
  | { readonly name: string; readonly type: 'A'; readonly ttl: number; readonly data: string }
  | { readonly name: string; readonly type: 'CNAME'; readonly ttl: number; readonly data: string }
  | {
      readonly name: string;
      readonly type: 'SRV';
      readonly ttl: number;
      readonly data: { priority: number; weight: number; port: number; target: string };
    }
  | {
      readonly name: string;
      readonly type: 'SOA';
      readonly ttl: number;
      readonly data: {
        mname: string;
        rname: string;
        serial: number;
        refresh: number;
        retry: number;
        expire: number;
        minimum: number;
      };
    }
  | { readonly name: string; readonly type: 'NS'; readonly ttl: number; readonly data: string }
  | { readonly name: string; readonly type: 'PTR'; readonly ttl: number; readonly data: string };

/** The zone's answer to one question. */
export interface ZoneAnswer {
  readonly rcode: 'NOERROR' | 'NXDOMAIN';
  readonly answers: readonly ZoneRecord[];
  /** The zone's SOA when there is no answer (negative caching, RFC 2308). */
  readonly authorities: readonly ZoneRecord[];
  /** A records of SRV targets. */
  readonly additionals: readonly ZoneRecord[];
}

/** A Service's endpoints: its EndpointSlices (what the agent watches, as CoreDNS does) or an Endpoints. */
export type ZoneEndpoints = Endpoints | readonly EndpointSlice[];

/** What the zone is built from: caches keyed `namespace/name` (of the Service, for endpoints). */
export interface ZoneSource {
  readonly services: ReadonlyMap<string, Service>;
  readonly endpoints: {
    get(key: string): ZoneEndpoints | undefined;
    entries(): Iterable<[string, ZoneEndpoints]>;
  };
}

export const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
export const LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** True when `name` (lower case, no trailing dot) is the zone or inside it. */
export function inZone(name: string, zone: string): boolean {
  return name === zone || name.endsWith(`.${zone}`);
}

interface ServicePortView {
  name: string;
  protocol: string;
  port: number;
}

/** The cluster zone over live caches; `answer` reads them at each question. */
export class ClusterZone {
  private readonly soa: ZoneRecord;

  constructor(
    readonly source: ZoneSource,
    readonly zone = 'cluster.local',
  ) {
    this.soa = {
      name: zone,
      type: 'SOA',
      ttl: CLUSTER_TTL,
      data: {
        mname: `ns.dns.${zone}`,
        rname: `hostmaster.${zone}`,
        // CoreDNS uses the time of the last change; a constant is as good for a zone nobody transfers.
        serial: 1,
        refresh: 7200,
        retry: 1800,
        expire: 86400,
        minimum: CLUSTER_TTL,
      },
    };
  }

  /** Answers `type` for `qname` (any case, with or without the trailing dot), which is in the zone. */
  answer(qname: string, type: string): ZoneAnswer {
    const name = qname.toLowerCase().replace(/\.$/, '');
    const zone = this.zone;
    if (!inZone(name, zone)) return this.nx();
    const labels = name === zone ? [] : name.slice(0, -(zone.length + 1)).split('.');
    if (labels.length === 0) {
      if (type === 'SOA') return this.ok(name, [this.soa]);
      if (type === 'NS')
        return this.ok(name, [{ name, type: 'NS', ttl: CLUSTER_TTL, data: `ns.dns.${zone}` }]);
      return this.nodata();
    }
    const kind = labels[labels.length - 1];
    if (kind === 'svc') return this.service(name, labels.slice(0, -1), type);
    if (kind === 'pod') return this.pod(name, labels.slice(0, -1), type);
    return this.nx();
  }

  private service(name: string, labels: string[], type: string): ZoneAnswer {
    if (labels.length === 0) return this.nodata();
    const ns = labels[labels.length - 1] ?? '';
    if (labels.length === 1) return this.namespaceExists(ns) ? this.nodata() : this.nx();
    const svcName = labels[labels.length - 2] ?? '';
    const svc = this.source.services.get(`${ns}/${svcName}`);
    if (!svc || !LABEL.test(ns) || !LABEL.test(svcName)) return this.nx();
    const base = `${svcName}.${ns}.svc.${this.zone}`;
    const rest = labels.slice(0, -2);
    const externalName = (svc.spec as { externalName?: unknown }).externalName;
    if (svc.spec.type === 'ExternalName') {
      if (rest.length > 0 || typeof externalName !== 'string' || !externalName) return this.nx();
      return this.ok(name, [{ name, type: 'CNAME', ttl: CLUSTER_TTL, data: externalName }]);
    }
    const headless = svc.spec.clusterIP === 'None';
    const endpoints = headless ? this.readyEndpoints(ns, svcName) : [];
    if (rest.length === 0) {
      if (headless && endpoints.length === 0) return this.nx();
      if (type === 'A') {
        if (headless)
          return this.ok(
            name,
            uniqueIps(endpoints).map((ip) => a(name, ip)),
          );
        return IPV4.test(svc.spec.clusterIP ?? '')
          ? this.ok(name, [a(name, svc.spec.clusterIP ?? '')])
          : this.nodata();
      }
      if (type === 'SRV') return this.srv(name, base, namedPorts(svc), endpoints, svc);
      return this.nodata();
    }
    if (rest.length === 1) {
      // <host>.<svc>.<ns>.svc: one endpoint of a headless Service.
      const host = rest[0] ?? '';
      const matching = headless ? endpoints.filter((e) => e.host === host) : [];
      if (matching.length === 0) return this.nx();
      if (type === 'A')
        return this.ok(
          name,
          uniqueIps(matching).map((ip) => a(name, ip)),
        );
      return this.nodata();
    }
    if (rest.length === 2) {
      // _<port>._<proto>.<svc>.<ns>.svc
      const [portLabel = '', protoLabel = ''] = rest;
      if (!portLabel.startsWith('_') || !protoLabel.startsWith('_')) return this.nx();
      const port = namedPorts(svc).find(
        (p) => `_${p.name}` === portLabel && `_${p.protocol.toLowerCase()}` === protoLabel,
      );
      if (!port || (headless && endpoints.length === 0)) return this.nx();
      if (type !== 'SRV') return this.nodata();
      return this.srv(name, base, [port], endpoints, svc);
    }
    return this.nx();
  }

  private srv(
    name: string,
    base: string,
    ports: readonly ServicePortView[],
    endpoints: readonly ReadyEndpoint[],
    svc: Service,
  ): ZoneAnswer {
    const answers: ZoneRecord[] = [];
    const additionals = new Map<string, ZoneRecord>();
    const clusterIP = svc.spec.clusterIP ?? '';
    for (const p of ports) {
      if (clusterIP !== 'None') {
        if (!IPV4.test(clusterIP)) continue;
        answers.push(srvRecord(name, p.port, base));
        additionals.set(`${base}/${clusterIP}`, a(base, clusterIP));
        continue;
      }
      for (const e of endpoints.filter((x) => x.ports.has(`${p.name}/${p.protocol}`))) {
        const target = `${e.host}.${base}`;
        answers.push(srvRecord(name, e.ports.get(`${p.name}/${p.protocol}`) ?? p.port, target));
        additionals.set(`${target}/${e.ip}`, a(target, e.ip));
      }
    }
    if (answers.length === 0) return this.nodata();
    // CoreDNS spreads the weight evenly over the records it returns.
    const weight = Math.max(1, Math.floor(100 / answers.length));
    const weighted = answers.map((r) => (r.type === 'SRV' ? { ...r, data: { ...r.data, weight } } : r));
    return { rcode: 'NOERROR', answers: weighted, authorities: [], additionals: [...additionals.values()] };
  }

  private pod(name: string, labels: string[], type: string): ZoneAnswer {
    if (labels.length === 0) return this.nodata();
    if (labels.length === 1) return LABEL.test(labels[0] ?? '') ? this.nodata() : this.nx();
    if (labels.length !== 2) return this.nx();
    const ip = (labels[0] ?? '').replace(/-/g, '.');
    if (!IPV4.test(ip) || !LABEL.test(labels[1] ?? '')) return this.nx();
    return type === 'A' ? this.ok(name, [a(name, ip)]) : this.nodata();
  }

  private namespaceExists(ns: string): boolean {
    for (const key of this.source.services.keys()) if (key.startsWith(`${ns}/`)) return true;
    return false;
  }

  private readyEndpoints(ns: string, name: string): ReadyEndpoint[] {
    return readyEndpointsOf(this.source.endpoints.get(`${ns}/${name}`));
  }

  private ok(_name: string, answers: ZoneRecord[]): ZoneAnswer {
    return answers.length ? { rcode: 'NOERROR', answers, authorities: [], additionals: [] } : this.nodata();
  }

  /** The zone's negative answer for a name that exists with no record of the type. */
  nodata(): ZoneAnswer {
    return { rcode: 'NOERROR', answers: [], authorities: [this.soa], additionals: [] };
  }

  private nx(): ZoneAnswer {
    return { rcode: 'NXDOMAIN', answers: [], authorities: [this.soa], additionals: [] };
  }
}

/** The ready addresses of an Endpoints object (whatever its shape), each with its DNS host label. */
export function readyEndpointsOf(ep: ZoneEndpoints | undefined): ReadyEndpoint[] {
  if (Array.isArray(ep)) return readySliceEndpoints(ep as readonly EndpointSlice[]);
  const out: ReadyEndpoint[] = [];
  const endpoints = ep as Endpoints | undefined;
  for (const subset of Array.isArray(endpoints?.subsets) ? (endpoints?.subsets ?? []) : []) {
    const ports = new Map<string, number>();
    for (const p of Array.isArray(subset?.ports) ? subset.ports : []) {
      if (typeof p?.port === 'number' && p.port > 0 && p.port < 65536)
        ports.set(`${p.name ?? ''}/${p.protocol ?? 'TCP'}`, p.port);
    }
    for (const addr of Array.isArray(subset?.addresses) ? subset.addresses : []) {
      const ip = addr?.ip;
      if (typeof ip !== 'string' || !IPV4.test(ip)) continue;
      out.push({ ip, host: hostOf((addr as { hostname?: unknown }).hostname, ip), ports });
    }
  }
  return out;
}

function hostOf(given: unknown, ip: string): string {
  return typeof given === 'string' && LABEL.test(given) ? given : ip.replace(/\./g, '-');
}

/** The ready endpoints of a Service's IPv4 slices (an unset `ready` counts as ready), once per address. */
function readySliceEndpoints(slices: readonly EndpointSlice[]): ReadyEndpoint[] {
  const out = new Map<string, ReadyEndpoint>();
  for (const slice of slices) {
    if (slice?.addressType !== 'IPv4') continue;
    const ports = new Map<string, number>();
    for (const p of Array.isArray(slice.ports) ? slice.ports : []) {
      if (typeof p?.port === 'number' && p.port > 0 && p.port < 65536)
        ports.set(`${p.name ?? ''}/${p.protocol ?? 'TCP'}`, p.port);
    }
    for (const e of Array.isArray(slice.endpoints) ? slice.endpoints : []) {
      const ip = Array.isArray(e?.addresses) ? e.addresses[0] : undefined;
      if (typeof ip !== 'string' || !IPV4.test(ip) || e.conditions?.ready === false) continue;
      const seen = out.get(ip);
      if (seen) for (const [k, v] of ports) seen.ports.set(k, v);
      else out.set(ip, { ip, host: hostOf(e.hostname, ip), ports: new Map(ports) });
    }
  }
  return [...out.values()];
}

/** One ready endpoint address. */
export interface ReadyEndpoint {
  ip: string;
  host: string;
  /** `name/protocol` → port. */
  ports: Map<string, number>;
}

function a(name: string, ip: string): ZoneRecord {
  return { name, type: 'A', ttl: CLUSTER_TTL, data: ip };
}

function srvRecord(name: string, port: number, target: string): ZoneRecord {
  return { name, type: 'SRV', ttl: CLUSTER_TTL, data: { priority: 0, weight: 100, port, target } };
}

function uniqueIps(endpoints: readonly ReadyEndpoint[]): string[] {
  return [...new Set(endpoints.map((e) => e.ip))];
}

function namedPorts(svc: Service): ServicePortView[] {
  const out: ServicePortView[] = [];
  for (const p of Array.isArray(svc.spec.ports) ? svc.spec.ports : []) {
    if (typeof p?.name !== 'string' || !LABEL.test(p.name)) continue;
    if (typeof p.port !== 'number' || p.port < 1 || p.port > 65535) continue;
    out.push({ name: p.name, protocol: typeof p.protocol === 'string' ? p.protocol : 'TCP', port: p.port });
  }
  return out;
}
