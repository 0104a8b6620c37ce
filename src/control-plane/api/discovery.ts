import type { ResourceCatalog } from '../registry/catalog.js';
import type { ResourceDef, Subresource } from '../registry/types.js';
import { acceptParams } from './http.js';

const VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

const SUB_VERBS: Record<Subresource, string[]> = {
  status: ['get', 'patch', 'update'],
  approval: ['get', 'patch', 'update'],
  scale: ['get', 'patch', 'update'],
  binding: ['create'],
  log: ['get'],
  exec: ['create', 'get'],
  portforward: ['create', 'get'],
  token: ['create'],
  eviction: ['create'],
};

function subKind(def: ResourceDef, sub: Subresource): { group: string; version: string; kind: string } {
  switch (sub) {
    case 'scale':
      return { group: 'autoscaling', version: 'v1', kind: 'Scale' };
    case 'binding':
      return { group: '', version: 'v1', kind: 'Binding' };
    case 'exec':
      return { group: '', version: 'v1', kind: 'PodExecOptions' };
    case 'portforward':
      return { group: '', version: 'v1', kind: 'PodPortForwardOptions' };
    case 'token':
      return { group: 'authentication.k8s.io', version: 'v1', kind: 'TokenRequest' };
    case 'eviction':
      return { group: 'policy', version: 'v1', kind: 'Eviction' };
    default:
      return { group: def.group, version: def.version, kind: def.kind };
  }
}

/** The aggregated discovery versions kubectl may ask for, newest first. */
export type AggregatedVersion = 'v2' | 'v2beta1';

/** Content type of an aggregated discovery response, exactly as kube-apiserver writes it. */
export function aggregatedContentType(version: AggregatedVersion): string {
  return `application/json;g=apidiscovery.k8s.io;v=${version};as=APIGroupDiscoveryList`;
}

/** Which aggregated discovery version the Accept header asks for (undefined: legacy discovery). */
export function wantsAggregated(accept: string | undefined): AggregatedVersion | undefined {
  for (const params of acceptParams(accept)) {
    if (params.get('g') === 'apidiscovery.k8s.io' && params.get('as') === 'APIGroupDiscoveryList') {
      const v = params.get('v');
      if (v === 'v2' || v === 'v2beta1') return v;
    }
  }
  return undefined;
}

function aggregatedResource(def: ResourceDef): Record<string, unknown> {
  return {
    resource: def.plural,
    responseKind: { group: def.group, version: def.version, kind: def.kind },
    scope: def.namespaced ? 'Namespaced' : 'Cluster',
    singularResource: def.singular,
    verbs: def.verbs ?? VERBS,
    ...(def.shortNames.length ? { shortNames: def.shortNames } : {}),
    ...(def.categories.length ? { categories: def.categories } : {}),
    ...(def.subresources.length
      ? {
          subresources: def.subresources.map((s) => ({
            subresource: s,
            responseKind: subKind(def, s),
            verbs: SUB_VERBS[s],
          })),
        }
      : {}),
  };
}

/** APIGroupDiscoveryList for `/api` (core) or `/apis` (named groups). */
export function buildAggregatedDiscovery(
  catalog: ResourceCatalog,
  core: boolean,
  version: AggregatedVersion,
): Record<string, unknown> {
  const groups = catalog.groups().filter((g) => (g.group === '') === core);
  return {
    kind: 'APIGroupDiscoveryList',
    apiVersion: `apidiscovery.k8s.io/${version}`,
    metadata: {},
    items: groups.map((g) => ({
      metadata: { name: g.group, creationTimestamp: null },
      versions: g.versions.map((v) => ({
        version: v,
        resources: catalog.groupVersion(g.group, v).map(aggregatedResource),
        freshness: 'Current',
      })),
    })),
  };
}

/** Legacy `/api`: the core versions. */
export function buildApiVersions(): Record<string, unknown> {
  return {
    kind: 'APIVersions',
    versions: ['v1'],
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '' }],
  };
}

function apiGroup(group: string, versions: readonly string[]): Record<string, unknown> {
  const list = versions.map((v) => ({ groupVersion: `${group}/${v}`, version: v }));
  return { kind: 'APIGroup', apiVersion: 'v1', name: group, versions: list, preferredVersion: list[0] };
}

/** Legacy `/apis`: every named group. */
export function buildApiGroupList(catalog: ResourceCatalog): Record<string, unknown> {
  const groups = catalog.groups().filter((g) => g.group !== '');
  return { kind: 'APIGroupList', apiVersion: 'v1', groups: groups.map((g) => apiGroup(g.group, g.versions)) };
}

/** Legacy `/apis/{group}`; undefined when the group is not served. */
export function buildApiGroup(catalog: ResourceCatalog, group: string): Record<string, unknown> | undefined {
  const g = catalog.groups().find((x) => x.group === group && group !== '');
  return g ? apiGroup(g.group, g.versions) : undefined;
}

/** Legacy `/api/v1` or `/apis/{group}/{version}`: APIResourceList; undefined when not served. */
export function buildResourceList(
  catalog: ResourceCatalog,
  group: string,
  version: string,
): Record<string, unknown> | undefined {
  const defs = catalog.groupVersion(group, version);
  if (defs.length === 0) return undefined;
  const resources: Record<string, unknown>[] = [];
  for (const def of defs) {
    resources.push({
      name: def.plural,
      singularName: def.singular,
      namespaced: def.namespaced,
      kind: def.kind,
      verbs: def.verbs ?? VERBS,
      ...(def.shortNames.length ? { shortNames: def.shortNames } : {}),
      ...(def.categories.length ? { categories: def.categories } : {}),
    });
    for (const s of def.subresources) {
      const k = subKind(def, s);
      resources.push({
        name: `${def.plural}/${s}`,
        singularName: '',
        namespaced: def.namespaced,
        ...(k.group !== def.group ? { group: k.group, version: k.version } : {}),
        kind: k.kind,
        verbs: SUB_VERBS[s],
      });
    }
  }
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: group ? `${group}/${version}` : version,
    resources,
  };
}
