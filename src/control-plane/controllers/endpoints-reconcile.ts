import type { EndpointAddress, Endpoints, Pod, Service } from '../../kube/index.js';
import { matchesMap } from '../machinery/labels.js';
import { isPodReady } from '../machinery/objects.js';
import type { Action } from './actions.js';

export function targetPort(
  port: Service['spec']['ports'] extends (infer P)[] | undefined ? P : never,
  pod: Pod,
): number | undefined {
  const target = port.targetPort ?? port.port;
  if (typeof target === 'number') return target;
  if (/^\d+$/.test(target)) return Number(target);
  for (const c of pod.spec.containers) {
    const ports = (c.ports ?? []) as { name?: string; containerPort: number }[];
    const found = ports.find((p) => p.name === target);
    if (found) return found.containerPort;
  }
  return undefined;
}

/**
 * The pods a Service with a selector selects that can serve: in its namespace, with an IP, not
 * finished; terminating ones included. Sorted by name, so written lists are stable.
 */
export function selectedPods(service: Service, pods: readonly Pod[]): Pod[] {
  const selector = service.spec.selector ?? {};
  return pods
    .filter((p) => p.metadata.namespace === service.metadata.namespace && p.status?.podIP)
    .filter((p) => matchesMap(selector, p.metadata.labels))
    .filter((p) => p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed')
    .sort((a, b) => (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''));
}

/**
 * The Endpoints of a Service: pods matching its selector that have an IP, ready ones in
 * `addresses`, others in `notReadyAddresses`, grouped by resolved port set. Services without a
 * selector are left alone (their Endpoints are managed by hand).
 */
export function buildEndpoints(service: Service, pods: readonly Pod[]): Endpoints | undefined {
  const selector = service.spec.selector;
  if (!selector || Object.keys(selector).length === 0) return undefined;
  const subsets = new Map<string, NonNullable<Endpoints['subsets']>[number]>();
  const matching = selectedPods(service, pods).filter((p) => !p.metadata.deletionTimestamp);
  for (const pod of matching) {
    const ports = (service.spec.ports ?? []).map((sp) => ({
      ...(sp.name ? { name: sp.name } : {}),
      port: targetPort(sp, pod) ?? -1,
      protocol: sp.protocol ?? 'TCP',
    }));
    if (ports.some((p) => p.port < 0)) continue;
    const key = JSON.stringify(ports);
    let subset = subsets.get(key);
    if (!subset) {
      subset = { ports };
      subsets.set(key, subset);
    }
    const address: EndpointAddress = {
      ip: pod.status?.podIP ?? '',
      // As the endpoints controller: cluster DNS names the pod <hostname>.<service>.<ns>.svc.
      ...(pod.spec.hostname && pod.spec.subdomain === service.metadata.name
        ? { hostname: pod.spec.hostname }
        : {}),
      ...(pod.spec.nodeName ? { nodeName: pod.spec.nodeName } : {}),
      targetRef: {
        kind: 'Pod',
        name: pod.metadata.name ?? '',
        namespace: pod.metadata.namespace ?? '',
        uid: pod.metadata.uid ?? '',
      },
    };
    if (isPodReady(pod)) subset.addresses = [...(subset.addresses ?? []), address];
    else subset.notReadyAddresses = [...(subset.notReadyAddresses ?? []), address];
  }
  return {
    apiVersion: 'v1',
    kind: 'Endpoints',
    metadata: {
      name: service.metadata.name ?? '',
      namespace: service.metadata.namespace ?? 'default',
      labels: { ...service.metadata.labels },
    },
    subsets: [...subsets.values()],
  };
}

/** Creates or updates the Service's Endpoints when they differ from what is stored. */
export function reconcileEndpoints(
  service: Service,
  pods: readonly Pod[],
  current: Endpoints | undefined,
): Action[] {
  if (service.metadata.deletionTimestamp) return [];
  const want = buildEndpoints(service, pods);
  if (!want) return [];
  if (!current) return [{ verb: 'create', resource: 'endpoints', object: want }];
  if (JSON.stringify(current.subsets ?? []) === JSON.stringify(want.subsets)) return [];
  return [
    {
      verb: 'update',
      resource: 'endpoints',
      object: { ...current, subsets: want.subsets ?? [] } as Endpoints,
    },
  ];
}
