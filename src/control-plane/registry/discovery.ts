import { resources } from '../../client/types.js';
import type { StatusCause, UntypedObject } from '../../kube/index.js';
import { ipv4ToNumber } from '../../net/ipv4.js';
import { ageColumn, ageOf, column, nameColumn, nameOf } from './columns.js';
import { identity, type ResourceDef } from './types.js';
import {
  checkLabelName,
  checkPortNumber,
  checkSubdomain,
  invalid,
  isRecord,
  listAt,
  protocols,
  recordAt,
  required,
  stringAt,
  unsupported,
} from './validation.js';

const ADDRESS_TYPES = ['FQDN', 'IPv4', 'IPv6'];
const MAX_ENDPOINTS = 1000;
const MAX_ADDRESSES = 100;
const MAX_PORTS = 100;

function tooMany(field: string, n: number, max: number): StatusCause {
  return { reason: 'FieldValueTooMany', field, message: `Too many: ${n}: must have at most ${max} items` };
}

function checkAddress(value: string, type: unknown, field: string): StatusCause[] {
  if (type === 'IPv4' && ipv4ToNumber(value) === undefined)
    return [invalid(field, value, 'must be a valid IPv4 address')];
  if (type === 'IPv6' && !/^[0-9a-fA-F:.]+$/.test(value))
    return [invalid(field, value, 'must be a valid IPv6 address')];
  if (type === 'FQDN') return checkSubdomain(value, field);
  return [];
}

function checkEndpoint(ep: unknown, type: unknown, field: string, causes: StatusCause[]): void {
  const e = recordAt(ep, field, causes);
  if (!e) return;
  const addrs = listAt(e.addresses, `${field}.addresses`, causes);
  if (addrs.length === 0) causes.push(required(`${field}.addresses`, 'must contain at least 1 address'));
  if (addrs.length > MAX_ADDRESSES) causes.push(tooMany(`${field}.addresses`, addrs.length, MAX_ADDRESSES));
  for (const [i, a] of addrs) {
    const s = stringAt(a, `${field}.addresses[${i}]`, causes);
    if (s !== undefined) causes.push(...checkAddress(s, type, `${field}.addresses[${i}]`));
  }
  const cond = recordAt(e.conditions, `${field}.conditions`, causes);
  for (const k of ['ready', 'serving', 'terminating'])
    if (cond && cond[k] !== undefined && cond[k] !== null && typeof cond[k] !== 'boolean')
      causes.push(invalid(`${field}.conditions.${k}`, cond[k], 'must be a boolean'));
  const node = stringAt(e.nodeName, `${field}.nodeName`, causes);
  if (node) causes.push(...checkSubdomain(node, `${field}.nodeName`));
  const host = stringAt(e.hostname, `${field}.hostname`, causes);
  if (host) causes.push(...checkLabelName(host, `${field}.hostname`));
  stringAt(e.zone, `${field}.zone`, causes);
}

function checkPorts(obj: UntypedObject, causes: StatusCause[]): void {
  const ports = listAt(obj.ports, 'ports', causes);
  if (ports.length > MAX_PORTS) causes.push(tooMany('ports', ports.length, MAX_PORTS));
  const names = new Set<string>();
  for (const [i, p] of ports) {
    const port = recordAt(p, `ports[${i}]`, causes);
    if (!port) continue;
    const name = stringAt(port.name, `ports[${i}].name`, causes) ?? '';
    if (name) causes.push(...checkLabelName(name, `ports[${i}].name`));
    if (names.has(name))
      causes.push({
        reason: 'FieldValueDuplicate',
        field: `ports[${i}].name`,
        message: `Duplicate value: "${name}"`,
      });
    names.add(name);
    if (port.port !== undefined && port.port !== null) checkPortNumber(port.port, `ports[${i}].port`, causes);
    const proto = stringAt(port.protocol, `ports[${i}].protocol`, causes);
    if (proto !== undefined && !protocols.includes(proto))
      causes.push(unsupported(`ports[${i}].protocol`, proto, protocols));
  }
}

/** `formatDiscoveryPorts` / `formatDiscoveryEndpoints`: three values, then "+ N more...". */
function firstThree(values: string[]): string {
  if (values.length === 0) return '<unset>';
  const shown = values.slice(0, 3).join(',');
  return values.length > 3 ? `${shown} + ${values.length - 3} more...` : shown;
}

/** discovery.k8s.io/v1 EndpointSlice, validated as kube-apiserver's ValidateEndpointSlice. */
export const endpointslices: ResourceDef = {
  ...identity(resources.endpointSlices),
  singular: 'endpointslice',
  shortNames: [],
  categories: [],
  subresources: [],
  defaults(obj) {
    if (Array.isArray(obj.ports))
      for (const p of obj.ports) if (isRecord(p) && p.protocol === undefined) p.protocol = 'TCP';
    if (Array.isArray(obj.endpoints))
      for (const e of obj.endpoints) if (isRecord(e) && e.conditions === undefined) e.conditions = {};
  },
  validate(obj) {
    const causes: StatusCause[] = [];
    const type = obj.addressType;
    if (type === undefined || type === null || type === '') causes.push(required('addressType'));
    else if (typeof type !== 'string' || !ADDRESS_TYPES.includes(type))
      causes.push(unsupported('addressType', type, ADDRESS_TYPES));
    const eps = listAt(obj.endpoints, 'endpoints', causes);
    if (eps.length > MAX_ENDPOINTS) causes.push(tooMany('endpoints', eps.length, MAX_ENDPOINTS));
    for (const [i, e] of eps) checkEndpoint(e, type, `endpoints[${i}]`, causes);
    checkPorts(obj, causes);
    return causes;
  },
  validateUpdate(obj, old) {
    return obj.addressType !== old.addressType
      ? [invalid('addressType', obj.addressType, 'field is immutable')]
      : [];
  },
  columns: [
    nameColumn,
    column('AddressType', 'addressType specifies the type of address carried by this EndpointSlice.'),
    column('Ports', 'ports specifies the list of network ports exposed by each endpoint in this slice.'),
    column('Endpoints', 'endpoints is a list of unique endpoints in this slice.'),
    ageColumn,
  ],
  cells: (obj, now) => {
    const ports = Array.isArray(obj.ports) ? obj.ports.filter(isRecord) : [];
    const eps = Array.isArray(obj.endpoints) ? obj.endpoints.filter(isRecord) : [];
    const portText = ports.map((p) =>
      typeof p.port === 'number' ? String(p.port) : typeof p.name === 'string' ? p.name : '*',
    );
    const addrs = eps.flatMap((e) => (Array.isArray(e.addresses) ? e.addresses.map(String) : []));
    return [
      nameOf(obj),
      String(obj.addressType ?? ''),
      firstThree(portText),
      firstThree(addrs),
      ageOf(obj, now),
    ];
  },
};
