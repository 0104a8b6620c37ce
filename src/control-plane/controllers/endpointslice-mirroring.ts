/**
 * Upstream's EndpointSlice mirroring controller: a Service without a selector gets its endpoints
 * from an Endpoints object written by hand (or by another tool); proxies and DNS read slices, so
 * those Endpoints are mirrored into EndpointSlices managed by
 * `endpointslicemirroring-controller.k8s.io`, owned by the Endpoints. Pure.
 */
import { createHash } from 'node:crypto';
import type { EndpointSlice, Endpoints, Service, SliceEndpoint, SlicePort } from '../../kube/index.js';
import type { Action } from './actions.js';
import {
  MANAGED_BY_LABEL,
  MAX_ENDPOINTS_PER_SLICE,
  SERVICE_NAME_LABEL,
  sliceActions,
} from './endpointslice-reconcile.js';

/** The managed-by value upstream's mirroring controller writes. */
export const MIRRORING_MANAGED_BY = 'endpointslicemirroring-controller.k8s.io';
/** An Endpoints labelled `true` with this is not mirrored (kube-apiserver's own `kubernetes` one). */
export const SKIP_MIRROR_LABEL = 'endpointslice.kubernetes.io/skip-mirror';
/** Upstream mirrors at most this many addresses of one Endpoints. */
export const MAX_MIRRORED_ENDPOINTS = 1000;

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const IPV6 = /^[0-9a-fA-F:]+(:\d{1,3}(\.\d{1,3}){3})?$/;

type Address = { ip?: string; hostname?: string; nodeName?: string; targetRef?: SliceEndpoint['targetRef'] };

function addressType(ip: unknown): 'IPv4' | 'IPv6' | undefined {
  if (typeof ip !== 'string') return undefined;
  if (IPV4.test(ip)) return 'IPv4';
  return ip.includes(':') && IPV6.test(ip) ? 'IPv6' : undefined;
}

function endpointOf(a: Address, ready: boolean): SliceEndpoint {
  return {
    addresses: [a.ip ?? ''],
    conditions: { ready },
    ...(a.hostname ? { hostname: a.hostname } : {}),
    ...(a.nodeName ? { nodeName: a.nodeName } : {}),
    ...(a.targetRef?.kind && a.targetRef.name
      ? {
          targetRef: {
            kind: a.targetRef.kind,
            name: a.targetRef.name,
            namespace: a.targetRef.namespace ?? '',
            ...(a.targetRef.uid ? { uid: a.targetRef.uid } : {}),
          },
        }
      : {}),
  };
}

/** Whether the Endpoints of `service` are mirrored at all. */
export function mirrors(service: Service | undefined, endpoints: Endpoints | undefined): boolean {
  if (!service || !endpoints || service.metadata.deletionTimestamp || endpoints.metadata.deletionTimestamp)
    return false;
  const selector = service.spec?.selector;
  if (selector && Object.keys(selector).length > 0) return false;
  return endpoints.metadata.labels?.[SKIP_MIRROR_LABEL] !== 'true';
}

/** The slices mirroring `endpoints` of `service`: one group per port set and address type. */
export function buildMirroredSlices(
  service: Service | undefined,
  endpoints: Endpoints | undefined,
): EndpointSlice[] {
  if (!mirrors(service, endpoints) || !endpoints) return [];
  const groups = new Map<string, { type: 'IPv4' | 'IPv6'; ports: SlicePort[]; endpoints: SliceEndpoint[] }>();
  let count = 0;
  for (const subset of Array.isArray(endpoints.subsets) ? endpoints.subsets : []) {
    const ports: SlicePort[] = (Array.isArray(subset?.ports) ? subset.ports : [])
      .filter((p) => typeof p?.port === 'number')
      .map((p) => ({ name: p.name ?? '', port: p.port, protocol: p.protocol ?? 'TCP' }));
    const all: [Address, boolean][] = [
      ...(Array.isArray(subset?.addresses) ? subset.addresses : []).map((a): [Address, boolean] => [
        a as Address,
        true,
      ]),
      ...(Array.isArray(subset?.notReadyAddresses) ? subset.notReadyAddresses : []).map(
        (a): [Address, boolean] => [a as Address, false],
      ),
    ];
    for (const [a, ready] of all) {
      const type = addressType(a?.ip);
      if (!type || count >= MAX_MIRRORED_ENDPOINTS) continue;
      count++;
      const key = JSON.stringify([type, ports]);
      const group = groups.get(key) ?? { type, ports, endpoints: [] };
      groups.set(key, group);
      group.endpoints.push(endpointOf(a, ready));
    }
  }
  const name = endpoints.metadata.name ?? '';
  const labels: Record<string, string> = { ...endpoints.metadata.labels };
  delete labels[SKIP_MIRROR_LABEL];
  labels[SERVICE_NAME_LABEL] = name;
  labels[MANAGED_BY_LABEL] = MIRRORING_MANAGED_BY;
  const owner = {
    apiVersion: 'v1',
    kind: 'Endpoints',
    name,
    uid: endpoints.metadata.uid ?? '',
    controller: true,
    blockOwnerDeletion: true,
  };
  const out: EndpointSlice[] = [];
  for (const [key, group] of groups) {
    // 'mirror' in the hash: never the name the EndpointSlice controller gives the same ports.
    const hash = createHash('sha256').update(`mirror${key}`).digest('hex').slice(0, 5);
    for (let i = 0; i * MAX_ENDPOINTS_PER_SLICE < group.endpoints.length; i++)
      out.push({
        apiVersion: 'discovery.k8s.io/v1',
        kind: 'EndpointSlice',
        metadata: {
          name: `${name}-${hash}${i ? `-${i}` : ''}`,
          namespace: endpoints.metadata.namespace ?? 'default',
          labels,
          ownerReferences: [owner],
        },
        addressType: group.type,
        endpoints: group.endpoints.slice(i * MAX_ENDPOINTS_PER_SLICE, (i + 1) * MAX_ENDPOINTS_PER_SLICE),
        ports: group.ports,
      });
  }
  return out;
}

/** The writes that bring a Service's mirrored slices (`current`) in line with its Endpoints. */
export function reconcileMirroredSlices(
  service: Service | undefined,
  endpoints: Endpoints | undefined,
  current: readonly EndpointSlice[],
): Action[] {
  return sliceActions(buildMirroredSlices(service, endpoints), current);
}
