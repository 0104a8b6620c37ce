/**
 * The service proxy's view of the cluster: one entry per Service port, with its endpoints, built
 * from the Service cache and the Service's EndpointSlices (or, in tests and benches, an Endpoints
 * object). The renderer works only on this, so it stays pure.
 */
import type { EndpointSlice, Endpoints, Service } from '../../../kube/index.js';

/** Where a Service's endpoints come from: its EndpointSlices (what the agent watches) or an Endpoints. */
export type EndpointSource = Endpoints | readonly EndpointSlice[];

/** Endpoint sources by Service key `namespace/name` (a Map, or the agent's slice index). */
export interface EndpointLookup {
  get(key: string): EndpointSource | undefined;
}

/** One backend of a Service port. */
export interface ProxyEndpoint {
  readonly ip: string;
  readonly port: number;
  readonly ready: boolean;
}

/** One port of one Service, everything the rules need (kube-proxy's ServicePortInfo). */
export interface ProxyServicePort {
  readonly namespace: string;
  readonly name: string;
  /** The port's name ('' for a Service's only, unnamed port). */
  readonly portName: string;
  readonly protocol: 'TCP' | 'UDP' | 'SCTP';
  readonly clusterIP: string;
  readonly port: number;
  /** 0 when the Service has no node port. */
  readonly nodePort: number;
  /** Seconds of ClientIP affinity; 0 for none. */
  readonly affinitySeconds: number;
  /** `type: LoadBalancer`: served at `port` on the node's own addresses too, as k3s's ServiceLB does. */
  readonly loadBalancer: boolean;
  /** Addresses the Service port is also served on at `port` (LoadBalancer ingress, externalIPs). */
  readonly externalIPs: readonly string[];
  readonly endpoints: readonly ProxyEndpoint[];
  /** `externalTrafficPolicy: Local` on an externally reachable Service: outside traffic stays on this node, unmasqueraded. */
  readonly externalLocal: boolean;
  /** `internalTrafficPolicy: Local`: cluster IP traffic goes to this node's endpoints only. */
  readonly internalLocal: boolean;
  /** The Service's `healthCheckNodePort` (LoadBalancer + `externalTrafficPolicy: Local`); 0 for none. */
  readonly healthCheckNodePort: number;
  /**
   * The usable endpoints on this node (the proxy's `nodeName`): the ready ones, or, when none is
   * ready, the ones still serving while they terminate (KEP-1669, per category as kube-proxy).
   */
  readonly localEndpoints: readonly ProxyEndpoint[];
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const PROTOCOLS = new Set(['TCP', 'UDP', 'SCTP']);
/** Names that may appear in rule comments: DNS labels/subdomains and port names, nothing to quote. */
const SAFE_NAME = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;
/** Kubernetes' default `sessionAffinityConfig.clientIP.timeoutSeconds` (3 hours). */
const DEFAULT_AFFINITY_SECONDS = 10_800;

/** True for a dotted-quad IPv4 address (what the iptables rules accept). */
export function isIPv4(value: unknown): value is string {
  return typeof value === 'string' && IPV4.test(value);
}

function validPort(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= 65535;
}

/** `ns/name:port` (or `ns/name` for an unnamed port), as kube-proxy prints a ServicePortName. */
export function servicePortKey(p: Pick<ProxyServicePort, 'namespace' | 'name' | 'portName'>): string {
  return p.portName ? `${p.namespace}/${p.name}:${p.portName}` : `${p.namespace}/${p.name}`;
}

/** A Service port's endpoints: all of them (cluster policy) and this node's usable ones. */
interface PortEndpoints {
  readonly all: ProxyEndpoint[];
  readonly local: ProxyEndpoint[];
}

function endpointsFor(
  ep: EndpointSource | undefined,
  portName: string,
  protocol: string,
  nodeName: string | undefined,
): PortEndpoints {
  if (Array.isArray(ep))
    return sliceEndpointsFor(ep as readonly EndpointSlice[], portName, protocol, nodeName);
  return endpointsObjectFor(ep as Endpoints | undefined, portName, protocol, nodeName);
}

function sortEndpoints(list: Iterable<ProxyEndpoint>): ProxyEndpoint[] {
  return [...list].sort((a, b) => (a.ip === b.ip ? a.port - b.port : compareIPs(a.ip, b.ip)));
}

/**
 * A Service port's endpoints from its EndpointSlices, as kube-proxy reads them: IPv4 slices only,
 * each endpoint's first address, `ready` (unset means ready) and, when no endpoint is ready, the
 * ones still serving while they terminate (KEP-1669), so a rollout's last pods keep answering.
 */
function sliceEndpointsFor(
  slices: readonly EndpointSlice[],
  portName: string,
  protocol: string,
  nodeName: string | undefined,
): PortEndpoints {
  const ready = new Map<string, ProxyEndpoint>();
  const terminating = new Map<string, ProxyEndpoint>();
  const unready = new Map<string, ProxyEndpoint>();
  const localReady = new Map<string, ProxyEndpoint>();
  const localTerminating = new Map<string, ProxyEndpoint>();
  for (const slice of slices) {
    if (slice?.addressType !== 'IPv4') continue;
    const port = (Array.isArray(slice.ports) ? slice.ports : []).find(
      (p) => (p?.name ?? '') === portName && (p?.protocol ?? 'TCP') === protocol,
    );
    if (!port || !validPort(port.port)) continue;
    for (const e of Array.isArray(slice.endpoints) ? slice.endpoints : []) {
      const ip = Array.isArray(e?.addresses) ? e.addresses[0] : undefined;
      if (!isIPv4(ip)) continue;
      const c = e.conditions ?? {};
      const isReady = c.ready !== false;
      const serving = c.serving ?? isReady;
      const key = `${ip}:${port.port}`;
      const local = nodeName !== undefined && e.nodeName === nodeName;
      const usable = { ip, port: port.port, ready: true };
      if (isReady) {
        ready.set(key, usable);
        if (local) localReady.set(key, usable);
      } else if (serving && c.terminating === true) {
        terminating.set(key, usable);
        if (local) localTerminating.set(key, usable);
      } else unready.set(key, { ip, port: port.port, ready: false });
    }
  }
  // The same address may sit in two slices while the controller moves it: a usable copy wins.
  const out = new Map(ready.size > 0 ? ready : terminating);
  const rest = ready.size > 0 ? [...terminating, ...unready] : [...unready];
  for (const [key, e] of rest) if (!out.has(key)) out.set(key, { ...e, ready: false });
  const local = localReady.size > 0 ? localReady : localTerminating;
  return { all: sortEndpoints(out.values()), local: sortEndpoints(local.values()) };
}

function endpointsObjectFor(
  ep: Endpoints | undefined,
  portName: string,
  protocol: string,
  nodeName: string | undefined,
): PortEndpoints {
  const out = new Map<string, ProxyEndpoint>();
  const local = new Map<string, ProxyEndpoint>();
  for (const subset of ep?.subsets ?? []) {
    const port = (subset.ports ?? []).find(
      (p) => (p.name ?? '') === portName && (p.protocol ?? 'TCP') === protocol,
    );
    if (!port || !validPort(port.port)) continue;
    const add = (ip: unknown, ready: boolean, node: unknown) => {
      if (!isIPv4(ip)) return;
      const key = `${ip}:${port.port}`;
      // A ready copy wins over a not-ready one if an address is listed twice.
      if (!out.get(key)?.ready) out.set(key, { ip, port: port.port, ready });
      if (ready && nodeName !== undefined && node === nodeName)
        local.set(key, { ip, port: port.port, ready });
    };
    for (const a of subset.addresses ?? []) add(a?.ip, true, a?.nodeName);
    for (const a of subset.notReadyAddresses ?? []) add(a?.ip, false, a?.nodeName);
  }
  return { all: sortEndpoints(out.values()), local: sortEndpoints(local.values()) };
}

function compareIPs(a: string, b: string): number {
  const x = a.split('.').map(Number);
  const y = b.split('.').map(Number);
  for (let i = 0; i < 4; i++) if (x[i] !== y[i]) return (x[i] ?? 0) - (y[i] ?? 0);
  return 0;
}

/**
 * Builds the proxy's service ports from Services and their endpoints. Anything the rules cannot express
 * (headless or ExternalName Services, IPv6, out-of-range ports) is left out rather than rejected:
 * the API server validates, and a stored oddity must never stop the proxy from programming the rest.
 */
export function buildServicePorts(
  services: Iterable<Service>,
  endpoints: EndpointLookup,
  nodeName?: string,
): ProxyServicePort[] {
  const out: ProxyServicePort[] = [];
  for (const svc of services) {
    const key = `${svc.metadata?.namespace ?? 'default'}/${svc.metadata?.name ?? ''}`;
    out.push(...servicePortsOf(svc, endpoints.get(key), nodeName));
  }
  return out.sort((a, b) => (servicePortKey(a) < servicePortKey(b) ? -1 : 1));
}

/**
 * The proxy's ports of one Service with its endpoints (`ep`: its EndpointSlices, or the Endpoints
 * object of the same namespace and name), in the Service's port order; empty for what the rules
 * cannot express. `nodeName` is this node's, for the traffic policies' local endpoints. Pure.
 */
export function servicePortsOf(
  svc: Service,
  ep: EndpointSource | undefined,
  nodeName?: string,
): ProxyServicePort[] {
  const out: ProxyServicePort[] = [];
  const namespace = svc.metadata?.namespace ?? 'default';
  const name = svc.metadata?.name;
  const spec = svc.spec as ServiceSpecView | undefined;
  const ingress = (svc as { status?: ServiceStatusView }).status?.loadBalancer?.ingress;
  if (!name || !SAFE_NAME.test(name) || !SAFE_NAME.test(namespace)) return out;
  if (!spec || spec.type === 'ExternalName' || !isIPv4(spec.clusterIP)) return out;
  const affinitySeconds =
    spec.sessionAffinity === 'ClientIP'
      ? clampAffinity(spec.sessionAffinityConfig?.clientIP?.timeoutSeconds)
      : 0;
  const external = [
    ...(Array.isArray(spec.externalIPs) ? spec.externalIPs : []),
    ...(Array.isArray(ingress) ? ingress.map((i) => i?.ip) : []),
  ].filter(isIPv4);
  const reachable = spec.type === 'NodePort' || spec.type === 'LoadBalancer' || external.length > 0;
  const externalLocal = reachable && spec.externalTrafficPolicy === 'Local';
  const internalLocal = spec.internalTrafficPolicy === 'Local';
  const healthCheckNodePort =
    spec.type === 'LoadBalancer' && externalLocal && validPort(spec.healthCheckNodePort)
      ? spec.healthCheckNodePort
      : 0;
  for (const p of Array.isArray(spec.ports) ? spec.ports : []) {
    const protocol = p?.protocol ?? 'TCP';
    if (!p || !validPort(p.port) || !PROTOCOLS.has(protocol)) continue;
    const portName = p.name ?? '';
    if (portName && !SAFE_NAME.test(portName)) continue;
    out.push({
      namespace,
      name,
      portName,
      protocol: protocol as ProxyServicePort['protocol'],
      clusterIP: spec.clusterIP,
      port: p.port,
      nodePort: validPort(p.nodePort) ? p.nodePort : 0,
      loadBalancer: spec.type === 'LoadBalancer',
      affinitySeconds,
      externalIPs: [...new Set(external)].sort(compareIPs),
      ...endpointsOf(endpointsFor(ep, portName, protocol, nodeName)),
      externalLocal,
      internalLocal,
      healthCheckNodePort,
    });
  }
  return out;
}

function endpointsOf(e: PortEndpoints): Pick<ProxyServicePort, 'endpoints' | 'localEndpoints'> {
  return { endpoints: e.all, localEndpoints: e.local };
}

function clampAffinity(value: unknown): number {
  return typeof value === 'number' && Number.isInteger(value) && value > 0 && value <= 86_400
    ? value
    : DEFAULT_AFFINITY_SECONDS;
}

/** The Service fields the proxy reads; everything optional because stored objects may be odd. */
interface ServiceSpecView {
  type?: string;
  clusterIP?: string;
  externalIPs?: unknown[];
  sessionAffinity?: string;
  sessionAffinityConfig?: { clientIP?: { timeoutSeconds?: number } };
  externalTrafficPolicy?: string;
  internalTrafficPolicy?: string;
  healthCheckNodePort?: number;
  ports?: ({ name?: string; port?: number; nodePort?: number; protocol?: string } | null)[];
}

interface ServiceStatusView {
  loadBalancer?: { ingress?: ({ ip?: string } | null)[] };
}
