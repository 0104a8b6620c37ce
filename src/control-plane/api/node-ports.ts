import type { StatusCause, UntypedObject } from '../../kube/index.js';
import { isRecord, needsHealthCheck } from '../registry/validation.js';
import { ApiError, invalid } from './status.js';

/** kube-apiserver's default `--service-node-port-range`. */
export const NODE_PORT_MIN = 30000;
/** Last port of the node-port range. */
export const NODE_PORT_MAX = 32767;

const RANGE = `${NODE_PORT_MIN}-${NODE_PORT_MAX}`;

/** Service types that get node ports (LoadBalancer is served on the node ports, ServiceLB style). */
export function needsNodePorts(svc: UntypedObject): boolean {
  const type = isRecord(svc.spec) ? svc.spec.type : undefined;
  return type === 'NodePort' || type === 'LoadBalancer';
}

function portsOf(svc: UntypedObject | undefined): Record<string, unknown>[] {
  const ports = svc && isRecord(svc.spec) ? svc.spec.ports : undefined;
  return Array.isArray(ports) ? ports.filter(isRecord) : [];
}

function nodePortOf(p: Record<string, unknown>): number {
  return typeof p.nodePort === 'number' && Number.isInteger(p.nodePort) ? p.nodePort : 0;
}

function healthPortOf(svc: UntypedObject | undefined): number {
  const n = svc && isRecord(svc.spec) ? svc.spec.healthCheckNodePort : undefined;
  return typeof n === 'number' && Number.isInteger(n) && n > 0 ? n : 0;
}

function needsHealthPort(svc: UntypedObject | undefined): boolean {
  return !!svc && isRecord(svc.spec) && needsHealthCheck(svc.spec);
}

/** The node ports a Service holds: its ports' and its health check port (one range, one allocator upstream). */
function usedBy(svc: UntypedObject | undefined): Set<number> {
  return new Set([...portsOf(svc).map(nodePortOf), healthPortOf(svc)].filter((n) => n > 0));
}

/** The node ports the other stored Services hold (the store is the allocation record). */
function takenPorts(others: readonly UntypedObject[]): Set<number> {
  const taken = new Set<number>();
  for (const svc of others) for (const n of usedBy(svc)) taken.add(n);
  return taken;
}

/**
 * As kube-apiserver's `patchAllocatedValues`: a port sent without a nodePort keeps the one the
 * stored Service had under the same port name, unless another port of the new spec took it.
 */
function keepStoredPorts(obj: UntypedObject, old: UntypedObject): void {
  const used = usedBy(obj);
  const byName = new Map(portsOf(old).map((p) => [String(p.name ?? ''), nodePortOf(p)]));
  for (const p of portsOf(obj)) {
    if (nodePortOf(p) !== 0) continue;
    const was = byName.get(String(p.name ?? '')) ?? 0;
    if (was > 0 && !used.has(was)) {
      p.nodePort = was;
      used.add(was);
    }
  }
}

/**
 * As the strategy's `dropTypeDependentFields`: a Service changed away from NodePort/LoadBalancer
 * drops the node ports it had, when the client left them as they were.
 */
function dropStalePorts(obj: UntypedObject, old: UntypedObject): void {
  const before = new Map(portsOf(old).map((p) => [String(p.name ?? ''), nodePortOf(p)]));
  const ports = portsOf(obj);
  if (ports.every((p) => nodePortOf(p) === 0 || before.get(String(p.name ?? '')) === nodePortOf(p))) {
    for (const p of ports) delete p.nodePort;
  }
}

/**
 * Gives every port of a NodePort/LoadBalancer Service a node port from 30000-32767 (kept on
 * update, checked when the client chose it), and refuses node ports on other types; throws a 422
 * with kube-apiserver's messages. `old` is the stored Service on update, `others` every other
 * stored Service.
 */
export function allocateNodePorts(
  obj: UntypedObject,
  old: UntypedObject | undefined,
  others: readonly UntypedObject[],
): void {
  const name = String(obj.metadata?.name ?? '');
  const type = isRecord(obj.spec) ? String(obj.spec.type ?? 'ClusterIP') : 'ClusterIP';
  const causes: StatusCause[] = [];
  if (!needsNodePorts(obj)) {
    if (old && needsNodePorts(old)) dropStalePorts(obj, old);
    portsOf(obj).forEach((p, i) => {
      if (p.nodePort !== undefined && p.nodePort !== 0)
        causes.push({
          reason: 'FieldValueForbidden',
          field: `spec.ports[${i}].nodePort`,
          message: `Forbidden: may not be used when \`type\` is '${type}'`,
        });
    });
    if (causes.length) throw invalid('Service', '', name, causes);
    return;
  }
  if (old && needsNodePorts(old)) keepStoredPorts(obj, old);
  const mine = old && needsNodePorts(old) ? usedBy(old) : new Set<number>();
  const taken = takenPorts(others);
  const seen = new Map<string, number>();
  const ports = portsOf(obj);
  ports.forEach((p, i) => {
    const field = `spec.ports[${i}].nodePort`;
    const n = p.nodePort;
    if (n === undefined || n === null || n === 0) {
      delete p.nodePort;
      return;
    }
    if (typeof n !== 'number' || !Number.isInteger(n)) {
      causes.push({
        reason: 'FieldValueTypeInvalid',
        field,
        message: `Invalid value: ${JSON.stringify(n)}: must be an integer`,
      });
      return;
    }
    const key = `${n}/${String(p.protocol ?? 'TCP')}`;
    if (seen.has(key)) {
      causes.push({ reason: 'FieldValueDuplicate', field, message: `Duplicate value: ${n}` });
      return;
    }
    seen.set(key, i);
    if (n < NODE_PORT_MIN || n > NODE_PORT_MAX) {
      causes.push({
        reason: 'FieldValueInvalid',
        field,
        message: `Invalid value: ${n}: provided port is not in the valid range. The range of valid ports is ${RANGE}`,
      });
    } else if (taken.has(n) && !mine.has(n)) {
      causes.push({
        reason: 'FieldValueInvalid',
        field,
        message: `Invalid value: ${n}: provided port is already allocated`,
      });
    }
  });
  if (causes.length) throw invalid('Service', '', name, causes);
  const inUse = new Set([...taken, ...ports.map(nodePortOf)]);
  for (const p of ports) {
    if (nodePortOf(p) !== 0) continue;
    const port = freePort(inUse);
    if (port === undefined)
      throw new ApiError(
        500,
        'InternalError',
        `Internal error occurred: failed to allocate a nodePort: range is full (${RANGE}); delete a NodePort or LoadBalancer Service`,
      );
    p.nodePort = port;
    inUse.add(port);
  }
  allocateHealthCheckPort(obj, old, taken, inUse, mine);
}

/**
 * `spec.healthCheckNodePort` of a LoadBalancer Service with `externalTrafficPolicy: Local`, from the
 * node port range as kube-apiserver's `allocHealthCheckNodePort`: a requested one must be free, an
 * update that leaves it out keeps the stored one, and a change of it is refused.
 */
function allocateHealthCheckPort(
  obj: UntypedObject,
  old: UntypedObject | undefined,
  taken: ReadonlySet<number>,
  inUse: Set<number>,
  mine: ReadonlySet<number>,
): void {
  if (!needsHealthPort(obj) || !isRecord(obj.spec)) return;
  const spec = obj.spec;
  const name = String(obj.metadata?.name ?? '');
  const field = 'spec.healthCheckNodePort';
  const stored = needsHealthPort(old) ? healthPortOf(old) : 0;
  if (healthPortOf(obj) === 0 && stored > 0) spec.healthCheckNodePort = stored;
  const n = healthPortOf(obj);
  if (stored > 0 && n !== stored)
    throw invalid('Service', '', name, [
      { reason: 'FieldValueForbidden', field, message: 'Forbidden: field is immutable' },
    ]);
  if (n > 0) {
    if (n === stored) return;
    const message =
      n < NODE_PORT_MIN || n > NODE_PORT_MAX
        ? `Invalid value: ${n}: provided port is not in the valid range. The range of valid ports is ${RANGE}`
        : (taken.has(n) && !mine.has(n)) || portsOf(obj).some((p) => nodePortOf(p) === n)
          ? `Invalid value: ${n}: provided port is already allocated`
          : undefined;
    if (message) throw invalid('Service', '', name, [{ reason: 'FieldValueInvalid', field, message }]);
    return;
  }
  const port = freePort(inUse);
  if (port === undefined)
    throw new ApiError(
      500,
      'InternalError',
      `Internal error occurred: failed to allocate a HealthCheck NodePort: range is full (${RANGE}); delete a NodePort or LoadBalancer Service`,
    );
  spec.healthCheckNodePort = port;
  inUse.add(port);
}

/** A random free port of the range (random first, as kube-apiserver's allocator, then a scan). */
function freePort(inUse: ReadonlySet<number>): number | undefined {
  const size = NODE_PORT_MAX - NODE_PORT_MIN + 1;
  const start = Math.floor(Math.random() * size);
  for (let k = 0; k < size; k++) {
    const n = NODE_PORT_MIN + ((start + k) % size);
    if (!inUse.has(n)) return n;
  }
  return undefined;
}
