import { resources } from '../../client/types.js';
import type { StatusCause, UntypedObject } from '../../kube/index.js';
import { age, ageColumn, ageOf, column, nameColumn, nameOf, selectorString } from './columns.js';
import { identity, type ResourceDef } from './types.js';
import {
  absent,
  checkService,
  defaultServicePolicies,
  dropStaleTrafficPolicy,
  ensureRecord,
  getPath,
  isRecord,
} from './validation.js';

const CONFIG_KEY = /^[-._a-zA-Z0-9]+$/;

function checkDataKeys(obj: UntypedObject, fields: readonly string[]): StatusCause[] {
  const causes: StatusCause[] = [];
  for (const f of fields) {
    const data = obj[f];
    if (data === undefined || data === null) continue;
    if (!isRecord(data)) {
      causes.push({
        reason: 'FieldValueTypeInvalid',
        field: f,
        message: 'must be a map of string keys to string values',
      });
      continue;
    }
    for (const [k, v] of Object.entries(data)) {
      if (!CONFIG_KEY.test(k) || k.length > 253) {
        causes.push({
          reason: 'FieldValueInvalid',
          field: `${f}[${k}]`,
          message: `Invalid value: "${k}": a valid config key must consist of alphanumeric characters, '-', '_' or '.'`,
        });
      }
      if (typeof v !== 'string')
        causes.push({ reason: 'FieldValueTypeInvalid', field: `${f}[${k}]`, message: 'must be a string' });
    }
  }
  return causes;
}

function countKeys(obj: UntypedObject, fields: readonly string[]): number {
  return fields.reduce((n, f) => n + (isRecord(obj[f]) ? Object.keys(obj[f]).length : 0), 0);
}

function servicePorts(obj: UntypedObject): string {
  const ports = getPath(obj, ['spec', 'ports']);
  if (!Array.isArray(ports) || ports.length === 0) return '<none>';
  return ports
    .filter(isRecord)
    .map(
      (p) => `${String(p.port)}${p.nodePort ? `:${String(p.nodePort)}` : ''}/${String(p.protocol ?? 'TCP')}`,
    )
    .join(',');
}

/**
 * kube-apiserver's normalizeClusterIPs, before validation: a Service that names only `clusterIP`
 * gets `clusterIPs: [clusterIP]`, and one that names only `clusterIPs` gets `clusterIP` from its
 * first entry (a manifest or `kubectl create service --clusterip` sets just one of them).
 */
function normalizeClusterIPs(spec: Record<string, unknown>): void {
  const ips = spec.clusterIPs;
  const ip = spec.clusterIP;
  const noList = ips === undefined || ips === null || (Array.isArray(ips) && ips.length === 0);
  if (typeof ip === 'string' && ip !== '' && noList) spec.clusterIPs = [ip];
  else if ((ip === undefined || ip === '') && Array.isArray(ips) && typeof ips[0] === 'string' && ips[0])
    spec.clusterIP = ips[0];
}

/** core/v1 Service: the cluster IP (assigned by api/cluster-ips.ts on write) is immutable. */
export const services: ResourceDef = {
  ...identity(resources.services),
  singular: 'service',
  shortNames: ['svc'],
  categories: ['all'],
  subresources: ['status'],
  statusField: 'status',
  defaults(obj) {
    const spec = ensureRecord(obj, 'spec');
    spec.type ??= 'ClusterIP';
    spec.sessionAffinity ??= 'None';
    if (Array.isArray(spec.ports)) {
      for (const p of spec.ports) {
        if (!isRecord(p)) continue;
        p.protocol ??= 'TCP';
        if (absent(p.targetPort) || p.targetPort === 0 || p.targetPort === '') p.targetPort = p.port;
      }
    }
    defaultServicePolicies(spec);
    normalizeClusterIPs(spec);
    ensureRecord(obj, 'status').loadBalancer ??= {};
  },
  prepareForUpdate: dropStaleTrafficPolicy,
  validate: checkService,
  validateUpdate(obj, old) {
    const was = getPath(old, ['spec', 'clusterIP']);
    const now = getPath(obj, ['spec', 'clusterIP']);
    // Left out, the stored address is kept (the allocator fills it in); ExternalName drops it.
    const kept = now === undefined || now === '' || getPath(obj, ['spec', 'type']) === 'ExternalName';
    return was && !kept && now !== was
      ? [
          {
            reason: 'FieldValueInvalid',
            field: 'spec.clusterIP',
            message: `Invalid value: ${JSON.stringify(now)}: field is immutable`,
          },
        ]
      : [];
  },
  columns: [
    nameColumn,
    column('Type', 'The type of the service.'),
    column('Cluster-IP', 'The IP address of the service.'),
    column('External-IP', 'The external IP address of the service.'),
    column('Port(s)', 'The ports of the service.'),
    ageColumn,
    column('Selector', 'The label selector of the service.', 1),
  ],
  cells: (obj, now) => [
    nameOf(obj),
    String(getPath(obj, ['spec', 'type']) ?? 'ClusterIP'),
    String(getPath(obj, ['spec', 'clusterIP']) ?? '<none>'),
    Array.isArray(getPath(obj, ['spec', 'externalIPs']))
      ? (getPath(obj, ['spec', 'externalIPs']) as string[]).join(',')
      : '<none>',
    servicePorts(obj),
    ageOf(obj, now),
    selectorString(getPath(obj, ['spec', 'selector'])),
  ],
};

/** core/v1 Endpoints. */
export const endpoints: ResourceDef = {
  ...identity(resources.endpoints),
  singular: 'endpoints',
  shortNames: ['ep'],
  categories: [],
  subresources: [],
  columns: [nameColumn, column('Endpoints', 'Endpoints of the service.'), ageColumn],
  cells: (obj, now) => {
    const subsets = Array.isArray(obj.subsets) ? obj.subsets.filter(isRecord) : [];
    const list: string[] = [];
    for (const s of subsets) {
      const addrs = Array.isArray(s.addresses) ? s.addresses.filter(isRecord) : [];
      const ports = Array.isArray(s.ports) ? s.ports.filter(isRecord) : [{ port: undefined }];
      for (const a of addrs)
        for (const p of ports)
          list.push(p.port === undefined ? String(a.ip) : `${String(a.ip)}:${String(p.port)}`);
    }
    return [nameOf(obj), list.length ? list.join(',') : '<none>', ageOf(obj, now)];
  },
};

/** core/v1 ConfigMap. */
export const configmaps: ResourceDef = {
  ...identity(resources.configMaps),
  singular: 'configmap',
  shortNames: ['cm'],
  categories: [],
  subresources: [],
  validate: (obj) => checkDataKeys(obj, ['data', 'binaryData']),
  columns: [nameColumn, column('Data', 'Number of keys.', 0, 'integer'), ageColumn],
  cells: (obj, now) => [nameOf(obj), countKeys(obj, ['data', 'binaryData']), ageOf(obj, now)],
};

/** core/v1 Secret: `stringData` is folded into base64 `data` on write, as kube-apiserver does. */
export const secrets: ResourceDef = {
  ...identity(resources.secrets),
  singular: 'secret',
  shortNames: [],
  categories: [],
  subresources: [],
  defaults(obj) {
    obj.type ??= 'Opaque';
    if (isRecord(obj.stringData)) {
      const data = ensureRecord(obj, 'data');
      for (const [k, v] of Object.entries(obj.stringData))
        data[k] = Buffer.from(String(v)).toString('base64');
      delete obj.stringData;
    }
  },
  validate(obj) {
    const causes = checkDataKeys(obj, ['data']);
    if (isRecord(obj.data)) {
      for (const [k, v] of Object.entries(obj.data)) {
        if (typeof v === 'string' && !/^[A-Za-z0-9+/]*={0,2}$/.test(v)) {
          causes.push({
            reason: 'FieldValueInvalid',
            field: `data[${k}]`,
            message: 'Invalid value: must be base64-encoded',
          });
        }
      }
    }
    return causes;
  },
  columns: [
    nameColumn,
    column('Type', 'The type of the secret.'),
    column('Data', 'Number of keys.', 0, 'integer'),
    ageColumn,
  ],
  cells: (obj, now) => [nameOf(obj), String(obj.type ?? 'Opaque'), countKeys(obj, ['data']), ageOf(obj, now)],
  selectableFields: ['type'],
};

/** core/v1 Event. */
export const events: ResourceDef = {
  ...identity(resources.events),
  singular: 'event',
  shortNames: ['ev'],
  categories: [],
  subresources: [],
  defaults(obj) {
    obj.type ??= 'Normal';
    obj.count ??= 1;
  },
  columns: [
    column('Last Seen', 'Time since the event was last seen.'),
    column('Type', 'Type of this event.'),
    column('Reason', 'Why the event happened.'),
    column('Object', 'The object this event is about.'),
    column('Source', 'Who reported the event.', 1),
    column('Message', 'A human-readable description.'),
    column('First Seen', 'Time since the event was first seen.', 1),
    column('Count', 'Number of times the event occurred.', 1, 'integer'),
    { ...nameColumn, priority: 1 },
  ],
  cells: (obj, now) => {
    const involved = isRecord(obj.involvedObject) ? obj.involvedObject : {};
    const last = obj.lastTimestamp ?? obj.eventTime ?? obj.metadata?.creationTimestamp;
    return [
      age(last, now),
      String(obj.type ?? ''),
      String(obj.reason ?? ''),
      `${String(involved.kind ?? '').toLowerCase()}/${String(involved.name ?? '')}`,
      String(getPath(obj, ['source', 'component']) ?? obj.reportingComponent ?? ''),
      String(obj.message ?? ''),
      age(obj.firstTimestamp ?? obj.metadata?.creationTimestamp, now),
      typeof obj.count === 'number' ? obj.count : 1,
      nameOf(obj),
    ];
  },
  selectableFields: [
    'involvedObject.kind',
    'involvedObject.namespace',
    'involvedObject.name',
    'involvedObject.uid',
    'involvedObject.apiVersion',
    'involvedObject.resourceVersion',
    'involvedObject.fieldPath',
    'reason',
    'reportingComponent',
    'source',
    'type',
  ],
};

/** core/v1 ServiceAccount (a `default` one is created in every namespace), with the TokenRequest subresource. */
export const serviceaccounts: ResourceDef = {
  ...identity(resources.serviceAccounts),
  singular: 'serviceaccount',
  shortNames: ['sa'],
  categories: [],
  subresources: ['token'],
  columns: [nameColumn, column('Secrets', 'Number of secrets.', 0, 'integer'), ageColumn],
  cells: (obj, now) => [nameOf(obj), Array.isArray(obj.secrets) ? obj.secrets.length : 0, ageOf(obj, now)],
};
