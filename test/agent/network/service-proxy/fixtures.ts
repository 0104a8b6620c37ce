import type { EndpointSlice, Endpoints, Service } from '../../../../src/kube/index.js';

/** A Service as the API server stores it (defaults applied). */
export function service(
  name: string,
  clusterIP: string,
  ports: { name?: string; port: number; nodePort?: number; protocol?: string }[],
  extra: Record<string, unknown> = {},
): Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: 'default' },
    spec: { type: 'ClusterIP', clusterIP, ports: ports.map((p) => ({ protocol: 'TCP', ...p })), ...extra },
  } as Service;
}

/** Endpoints with one subset: `ready` and `notReady` addresses on `ports`. */
export function endpoints(
  name: string,
  ready: string[],
  notReady: string[],
  ports: { name?: string; port: number; protocol?: string }[],
): Endpoints {
  return {
    apiVersion: 'v1',
    kind: 'Endpoints',
    metadata: { name, namespace: 'default' },
    subsets: [
      {
        addresses: ready.map((ip) => ({ ip })),
        notReadyAddresses: notReady.map((ip) => ({ ip })),
        ports: ports.map((p) => ({ protocol: 'TCP', ...p })),
      },
    ],
  };
}

/** Endpoints keyed as the proxy keys them. */
export function byKey(...eps: Endpoints[]): Map<string, Endpoints> {
  return new Map(eps.map((e) => [`${e.metadata.namespace}/${e.metadata.name}`, e]));
}

/** One endpoint of a slice: its address and conditions (unset ones stay unset). */
export interface SliceEndpointSpec {
  readonly ip: string;
  readonly ready?: boolean;
  readonly serving?: boolean;
  readonly terminating?: boolean;
  /** The node the endpoint's pod runs on. */
  readonly nodeName?: string;
}

/** An IPv4 EndpointSlice named `slice` of Service `service`, with `endpoints` on `ports`. */
export function endpointSlice(
  service: string,
  slice: string,
  endpoints: (string | SliceEndpointSpec)[],
  ports: { name?: string; port: number; protocol?: string }[],
  addressType: EndpointSlice['addressType'] = 'IPv4',
): EndpointSlice {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: slice, namespace: 'default', labels: { 'kubernetes.io/service-name': service } },
    addressType,
    endpoints: endpoints.map((e) => {
      const { ip, nodeName, ...conditions } = typeof e === 'string' ? { ip: e, ready: true } : e;
      return { addresses: [ip], conditions, ...(nodeName ? { nodeName } : {}) };
    }),
    ports: ports.map((p) => ({ protocol: 'TCP', ...p })),
  };
}
