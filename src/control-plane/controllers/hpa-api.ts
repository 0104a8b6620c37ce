import { isNotFound } from '../../client/api-error.js';
import type { KubeClient } from '../../client/client.js';
import type { PodMetricsItem } from './hpa-metrics.js';

/** A target's autoscaling/v1 Scale as the API server serves it. */
export interface ScaleObject {
  readonly apiVersion?: string;
  readonly kind?: string;
  readonly metadata: {
    readonly name?: string;
    readonly namespace?: string;
    readonly resourceVersion?: string;
  };
  readonly spec?: { readonly replicas?: number };
  readonly status?: { readonly replicas?: number; readonly selector?: string };
}

/** A scale target: apiVersion and kind of the HPA's scaleTargetRef, its namespace and name. */
export interface TargetRef {
  readonly apiVersion?: string;
  readonly kind: string;
  readonly name: string;
  readonly namespace: string;
}

/**
 * What the horizontal pod autoscaler reads and writes beyond its own objects: the scale
 * subresource of any kind (kube's scale client) and pod metrics (metrics.k8s.io).
 */
export interface HpaApi {
  getScale(target: TargetRef): Promise<ScaleObject>;
  /** PUT of the Scale read before with new replicas: a stale resourceVersion answers 409. */
  updateScale(target: TargetRef, scale: ScaleObject): Promise<void>;
  podMetrics(namespace: string, selector: string): Promise<readonly PodMetricsItem[]>;
}

const builtins: Record<string, string> = {
  'apps/Deployment': 'deployments',
  'apps/ReplicaSet': 'replicasets',
  'apps/StatefulSet': 'statefulsets',
  '/ReplicationController': 'replicationcontrollers',
};

/** Discovery answers are kept this long (a CRD registered later is found after it). */
const DISCOVERY_TTL_MS = 30_000;

/** The HpaApi over the REST client: scale paths found by kind through discovery, as kube's RESTMapper. */
export function clientHpaApi(client: KubeClient, now: () => number = Date.now): HpaApi {
  const discovered = new Map<string, { at: number; resources: { name: string; kind: string }[] }>();
  const groupVersion = (apiVersion: string | undefined) => {
    const gv = apiVersion ?? '';
    const slash = gv.indexOf('/');
    return slash < 0
      ? { group: '', version: gv || 'v1' }
      : { group: gv.slice(0, slash), version: gv.slice(slash + 1) };
  };
  const base = (group: string, version: string) => (group ? `/apis/${group}/${version}` : `/api/${version}`);
  const resourceOf = async (target: TargetRef): Promise<string> => {
    const { group, version } = groupVersion(target.apiVersion);
    const known = builtins[`${group}/${target.kind}`];
    if (known) return known;
    const key = `${group}/${version}`;
    let entry = discovered.get(key);
    if (!entry || now() - entry.at > DISCOVERY_TTL_MS) {
      const list = await client.transport
        .json<{ resources?: { name: string; kind: string }[] }>({ method: 'GET', path: base(group, version) })
        .catch((err: unknown) => {
          // A group/version not served has no kinds; any other failure is not remembered.
          if (isNotFound(err)) return { resources: [] };
          throw err;
        });
      entry = { at: now(), resources: list.resources ?? [] };
      discovered.set(key, entry);
    }
    const found = entry.resources.find((r) => r.kind === target.kind && !r.name.includes('/'));
    if (!found) throw new Error(`no matches for kind "${target.kind}" in group "${group}"`);
    return found.name;
  };
  const scalePath = async (target: TargetRef) => {
    const { group, version } = groupVersion(target.apiVersion);
    const resource = await resourceOf(target);
    const ns = encodeURIComponent(target.namespace);
    return `${base(group, version)}/namespaces/${ns}/${resource}/${encodeURIComponent(target.name)}/scale`;
  };
  return {
    getScale: async (target) =>
      client.transport.json<ScaleObject>({ method: 'GET', path: await scalePath(target) }),
    updateScale: async (target, scale) => {
      await client.transport.json({ method: 'PUT', path: await scalePath(target), body: scale });
    },
    podMetrics: async (namespace, selector) => {
      const path = `/apis/metrics.k8s.io/v1beta1/namespaces/${encodeURIComponent(namespace)}/pods?labelSelector=${encodeURIComponent(selector)}`;
      const list = await client.transport.json<{ items?: PodMetricsItem[] }>({ method: 'GET', path });
      return list.items ?? [];
    },
  };
}
