import { createHash } from 'node:crypto';
import type { EndpointSlice, KubeObject, Pod, Service, SliceEndpoint, SlicePort } from '../../kube/index.js';
import { isPodReady } from '../machinery/objects.js';
import type { Action } from './actions.js';
import { selectedPods, targetPort } from './endpoints-reconcile.js';

/** Label naming the Service a slice belongs to. */
export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
/** Label naming the controller that manages a slice. */
export const MANAGED_BY_LABEL = 'endpointslice.kubernetes.io/managed-by';
/** The value upstream's EndpointSlice controller writes (kube-proxy and CoreDNS do not care who). */
export const MANAGED_BY = 'endpointslice-controller.k8s.io';
const HEADLESS_LABEL = 'service.kubernetes.io/headless';
/** Upstream's --max-endpoints-per-slice default. */
export const MAX_ENDPOINTS_PER_SLICE = 100;
const ZONE_LABEL = 'topology.kubernetes.io/zone';

/** Node name → its `topology.kubernetes.io/zone` label, for the endpoints' `zone`. */
export function zonesOf(nodes: readonly KubeObject[]): Map<string, string> {
  const zones = new Map<string, string>();
  for (const n of nodes) {
    const zone = n.metadata.labels?.[ZONE_LABEL];
    if (zone && n.metadata.name) zones.set(n.metadata.name, zone);
  }
  return zones;
}

type SliceService = Service & {
  spec: Service['spec'] & { publishNotReadyAddresses?: boolean };
};

/** The slices this controller manages for a Service, from all slices of its namespace. */
export function slicesOf(namespace: string, name: string, slices: readonly KubeObject[]): EndpointSlice[] {
  return slices.filter(
    (s) =>
      s.metadata.namespace === namespace &&
      s.metadata.labels?.[SERVICE_NAME_LABEL] === name &&
      s.metadata.labels?.[MANAGED_BY_LABEL] === MANAGED_BY,
  ) as EndpointSlice[];
}

function endpointOf(pod: Pod, svc: SliceService, zones: ReadonlyMap<string, string>): SliceEndpoint {
  const terminating = Boolean(pod.metadata.deletionTimestamp);
  const publish = svc.spec.publishNotReadyAddresses === true;
  const serving = publish || isPodReady(pod);
  const node = pod.spec.nodeName;
  const zone = node ? zones.get(node) : undefined;
  return {
    addresses: [pod.status?.podIP ?? ''],
    conditions: { ready: publish || (serving && !terminating), serving, terminating },
    // As upstream: cluster DNS names the pod <hostname>.<service>.<ns>.svc.
    ...(pod.spec.hostname && pod.spec.subdomain === svc.metadata.name ? { hostname: pod.spec.hostname } : {}),
    ...(node ? { nodeName: node } : {}),
    ...(zone ? { zone } : {}),
    targetRef: {
      kind: 'Pod',
      name: pod.metadata.name ?? '',
      namespace: pod.metadata.namespace ?? '',
      uid: pod.metadata.uid ?? '',
    },
  };
}

/**
 * The EndpointSlices a Service should have, as upstream's EndpointSlice controller: one group per
 * resolved port set, at most 100 endpoints a slice, terminating pods included (with their
 * `ready`/`serving`/`terminating` conditions), each endpoint with its node and the node's zone.
 * Names are stable (`<service>-<hash of the ports>[-n]`), so a restart rewrites the same slices.
 * Services without a selector get none (their Endpoints are managed by hand). Pure.
 */
export function buildEndpointSlices(
  service: Service,
  pods: readonly Pod[],
  zones: ReadonlyMap<string, string>,
): EndpointSlice[] {
  const svc = service as SliceService;
  const selector = svc.spec.selector;
  if (!selector || Object.keys(selector).length === 0) return [];
  const groups = new Map<string, { ports: SlicePort[]; endpoints: SliceEndpoint[] }>();
  const matching = selectedPods(svc, pods);
  for (const pod of matching) {
    const ports = (svc.spec.ports ?? []).map((sp) => ({
      name: sp.name ?? '',
      port: targetPort(sp, pod) ?? -1,
      protocol: sp.protocol ?? 'TCP',
    }));
    if (ports.some((p) => p.port < 0)) continue;
    const key = JSON.stringify(ports);
    let group = groups.get(key);
    if (!group) {
      group = { ports, endpoints: [] };
      groups.set(key, group);
    }
    group.endpoints.push(endpointOf(pod, svc, zones));
  }
  const name = svc.metadata.name ?? '';
  const labels: Record<string, string> = {
    ...svc.metadata.labels,
    [SERVICE_NAME_LABEL]: name,
    [MANAGED_BY_LABEL]: MANAGED_BY,
    ...(svc.spec.clusterIP === 'None' ? { [HEADLESS_LABEL]: '' } : {}),
  };
  const owner = {
    apiVersion: 'v1',
    kind: 'Service',
    name,
    uid: svc.metadata.uid ?? '',
    controller: true,
    blockOwnerDeletion: true,
  };
  const out: EndpointSlice[] = [];
  for (const [key, group] of groups) {
    const hash = createHash('sha256').update(key).digest('hex').slice(0, 5);
    for (let i = 0; i * MAX_ENDPOINTS_PER_SLICE < group.endpoints.length; i++) {
      out.push({
        apiVersion: 'discovery.k8s.io/v1',
        kind: 'EndpointSlice',
        metadata: {
          name: `${name}-${hash}${i ? `-${i}` : ''}`,
          namespace: svc.metadata.namespace ?? 'default',
          labels,
          ownerReferences: [owner],
        },
        addressType: 'IPv4',
        endpoints: group.endpoints.slice(i * MAX_ENDPOINTS_PER_SLICE, (i + 1) * MAX_ENDPOINTS_PER_SLICE),
        ports: group.ports,
      });
    }
  }
  return out;
}

const content = (s: EndpointSlice) =>
  JSON.stringify([s.metadata.labels ?? {}, s.endpoints ?? [], s.ports ?? []]);

/**
 * Creates, updates and deletes the Service's slices so they match {@link buildEndpointSlices}. A
 * missing or deleted Service has all its slices deleted. Only differing slices are written.
 */
export function reconcileEndpointSlices(
  service: Service | undefined,
  pods: readonly Pod[],
  zones: ReadonlyMap<string, string>,
  current: readonly EndpointSlice[],
): Action[] {
  const want =
    service && !service.metadata.deletionTimestamp ? buildEndpointSlices(service, pods, zones) : [];
  return sliceActions(want, current);
}

/** The writes that turn `current` slices into `want` (matched by name); only differing ones. */
export function sliceActions(want: readonly EndpointSlice[], current: readonly EndpointSlice[]): Action[] {
  const have = new Map(current.map((s) => [s.metadata.name ?? '', s]));
  const actions: Action[] = [];
  for (const slice of want) {
    const old = have.get(slice.metadata.name ?? '');
    have.delete(slice.metadata.name ?? '');
    if (!old) actions.push({ verb: 'create', resource: 'endpointslices', object: slice });
    else if (content(old) !== content(slice))
      actions.push({
        verb: 'update',
        resource: 'endpointslices',
        object: {
          ...old,
          metadata: { ...old.metadata, labels: slice.metadata.labels },
          endpoints: slice.endpoints,
          ports: slice.ports,
        } as EndpointSlice,
      });
  }
  for (const old of have.values())
    actions.push({
      verb: 'delete',
      resource: 'endpointslices',
      namespace: old.metadata.namespace,
      name: old.metadata.name ?? '',
      uid: old.metadata.uid,
    });
  return actions;
}
