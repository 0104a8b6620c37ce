import { type Cidr, formatCidr, parseCidr } from '../../config/cidr.js';
import type { StatusCause, UntypedObject } from '../../kube/index.js';
import { ipv4ToNumber, numberToIpv4 } from '../../net/ipv4.js';
import { isRecord } from '../registry/validation.js';
import { ApiError, invalid } from './status.js';

/** kube-apiserver's `--service-cluster-ip-range` as tugboat's spec defaults it (`network.serviceCidr`). */
export const DEFAULT_SERVICE_CIDR = '10.96.0.0/12';

/** Parses the service range; throws a RangeError naming the bad value. */
export function parseServiceRange(text: string): Cidr {
  const parsed = parseCidr(text);
  if (!parsed || parsed.hostBitsSet || parsed.cidr.prefix > 30 || parsed.cidr.prefix < 8) {
    throw new RangeError(
      `service cluster IP range ${text} is not an IPv4 network between /8 and /30: use e.g. ${DEFAULT_SERVICE_CIDR}`,
    );
  }
  return parsed.cidr;
}

/**
 * The first usable address of the range: the `kubernetes` Service's (kube-apiserver reserves it
 * the same way), never handed out to other Services by the dynamic allocator.
 */
export function firstServiceIp(range: Cidr): string {
  return numberToIpv4(range.base + 1);
}

function specOf(svc: UntypedObject | undefined): Record<string, unknown> {
  return svc && isRecord(svc.spec) ? svc.spec : {};
}

/** The cluster IP a stored Service holds, as a number (headless, ExternalName and junk hold none). */
export function heldClusterIp(svc: UntypedObject): number | undefined {
  const ip = specOf(svc).clusterIP;
  return typeof ip === 'string' ? ipv4ToNumber(ip) : undefined;
}

/** Usable addresses: the range without its network and broadcast addresses (as ipallocator). */
function bounds(range: Cidr): { first: number; last: number } {
  const size = 2 ** (32 - range.prefix);
  return size <= 2
    ? { first: range.base, last: range.base + size - 1 }
    : { first: range.base + 1, last: range.base + size - 2 };
}

/**
 * Kubernetes' static subrange (KEP-3070): the lower band of the range is left for Services that
 * ask for an address, dynamic allocation takes the upper band first. Size as upstream:
 * min(max(16, size/16), 256).
 */
function staticBand(range: Cidr): number {
  const size = 2 ** (32 - range.prefix);
  return Math.min(Math.max(16, Math.floor(size / 16)), 256);
}

function freeIp(range: Cidr, inUse: ReadonlySet<number>): number | undefined {
  const { first, last } = bounds(range);
  const reserved = first; // the kubernetes Service's address
  const band = Math.min(first + staticBand(range), last + 1);
  const pick = (lo: number, hi: number): number | undefined => {
    const count = hi - lo;
    if (count <= 0) return undefined;
    const start = Math.floor(Math.random() * count);
    for (let k = 0; k < count; k++) {
      const n = lo + ((start + k) % count);
      if (n !== reserved && !inUse.has(n)) return n;
    }
    return undefined;
  };
  return pick(band, last + 1) ?? pick(first, band);
}

/**
 * As kube-apiserver's ClusterIP allocation on a Service write: a Service that is not headless or
 * ExternalName gets a free address of `range` (the requested one, checked, or a random free one;
 * kept on update when the client leaves it out), with `spec.clusterIPs` matching. `others` are the
 * stored Services but this one: the store is the allocation record, so a restart, a delete or a
 * change to ExternalName needs no bookkeeping. Throws a 422 with upstream's messages.
 */
export function allocateClusterIp(
  obj: UntypedObject,
  old: UntypedObject | undefined,
  others: readonly UntypedObject[],
  range: Cidr,
): void {
  const name = String(obj.metadata?.name ?? '');
  const spec = isRecord(obj.spec) ? obj.spec : {};
  if (spec.type === 'ExternalName') {
    // A change to ExternalName releases the address (the strategy's dropTypeDependentFields).
    if (old && specOf(old).clusterIP === spec.clusterIP) delete spec.clusterIP;
    if (spec.clusterIP === undefined || spec.clusterIP === '') {
      delete spec.clusterIP;
      delete spec.clusterIPs;
    }
    return;
  }
  // Single-stack IPv4, as kube-apiserver defaults a Service on an IPv4-only cluster.
  spec.ipFamilyPolicy ??= 'SingleStack';
  spec.ipFamilies ??= ['IPv4'];
  const listed = Array.isArray(spec.clusterIPs) ? spec.clusterIPs : undefined;
  if ((spec.clusterIP === undefined || spec.clusterIP === '') && typeof listed?.[0] === 'string')
    spec.clusterIP = listed[0];
  const oldIp = specOf(old).clusterIP;
  if ((spec.clusterIP === undefined || spec.clusterIP === '') && old && typeof oldIp === 'string' && oldIp)
    spec.clusterIP = oldIp; // patchAllocatedValues: a PUT without the address keeps it
  const requested = spec.clusterIP;
  const causes: StatusCause[] = [];
  if (listed && listed.length > 0 && requested !== undefined && listed[0] !== requested) {
    causes.push({
      reason: 'FieldValueInvalid',
      field: 'spec.clusterIPs[0]',
      message: `Invalid value: ${JSON.stringify(listed[0])}: must match \`clusterIP\` when both are specified`,
    });
  }
  if (listed && listed.length > 1) {
    causes.push({
      reason: 'FieldValueInvalid',
      field: 'spec.clusterIPs',
      message: `Invalid value: ${JSON.stringify(listed)}: only one IPv4 address is supported`,
    });
  }
  if (requested === 'None') {
    if (causes.length) throw invalid('Service', '', name, causes);
    spec.clusterIPs = ['None'];
    return;
  }
  const inUse = new Set<number>();
  for (const s of others) {
    const n = heldClusterIp(s);
    if (n !== undefined) inUse.add(n);
  }
  if (requested !== undefined && requested !== '') {
    const n = typeof requested === 'string' ? ipv4ToNumber(requested) : undefined;
    const { first, last } = bounds(range);
    const unchanged = old !== undefined && oldIp === requested;
    if (n === undefined) {
      causes.push({
        reason: 'FieldValueInvalid',
        field: 'spec.clusterIP',
        message: `Invalid value: ${JSON.stringify(requested)}: must be empty, 'None', or a valid IP address`,
      });
    } else if (!unchanged && (n < first || n > last)) {
      causes.push({
        reason: 'FieldValueInvalid',
        field: 'spec.clusterIP',
        message: `Invalid value: ${JSON.stringify(requested)}: provided IP is not in the valid range. The range of valid IPs is ${formatCidr(range)}`,
      });
    } else if (!unchanged && inUse.has(n)) {
      causes.push({
        reason: 'FieldValueInvalid',
        field: 'spec.clusterIP',
        message: `Invalid value: ${JSON.stringify(requested)}: provided IP is already allocated`,
      });
    }
    if (causes.length) throw invalid('Service', '', name, causes);
    spec.clusterIPs = [requested];
    return;
  }
  if (causes.length) throw invalid('Service', '', name, causes);
  const n = freeIp(range, inUse);
  if (n === undefined)
    throw new ApiError(
      500,
      'InternalError',
      `Internal error occurred: failed to allocate a serviceIP: range is full (${formatCidr(range)}); delete a Service or widen the service range`,
    );
  spec.clusterIP = numberToIpv4(n);
  spec.clusterIPs = [spec.clusterIP];
}
