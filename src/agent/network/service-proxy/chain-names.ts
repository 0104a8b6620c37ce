/**
 * Names of tugboat's iptables chains. Per-service chains are hashed as kube-proxy hashes them
 * (sha256 → base32 → 16 characters) so a name fits iptables' 28-character limit and stays the
 * same across restarts: a restarted agent rewrites the very chains it left, never a second copy.
 */
import { createHash } from 'node:crypto';

/** nat: entry point for traffic to cluster IPs, external IPs and (last rule) node ports. */
export const SERVICES_CHAIN = 'TUGBOAT-SERVICES';
/** nat: node ports, reached from TUGBOAT-SERVICES for traffic to a local address. */
export const NODEPORTS_CHAIN = 'TUGBOAT-NODEPORTS';
/** nat: masquerades packets carrying the masquerade mark. */
export const POSTROUTING_CHAIN = 'TUGBOAT-PROXY-POSTROUTING';
/** nat: sets the masquerade mark. */
export const MARK_MASQ_CHAIN = 'TUGBOAT-MARK-MASQ';
/** filter: rejects traffic to cluster IPs of Services without ready endpoints. */
export const FILTER_SERVICES_CHAIN = 'TUGBOAT-SERVICES';
/** filter: rejects traffic to node ports and external IPs of Services without ready endpoints. */
export const EXTERNAL_SERVICES_CHAIN = 'TUGBOAT-EXTERNAL-SERVICES';
/** filter: accepts forwarded service traffic even where the FORWARD policy is DROP (Docker's). */
export const FORWARD_CHAIN = 'TUGBOAT-PROXY-FORWARD';

/** The proxy's fixed chains (the same names in nat and filter are distinct chains). */
const FIXED_CHAINS = new Set([
  SERVICES_CHAIN,
  NODEPORTS_CHAIN,
  POSTROUTING_CHAIN,
  MARK_MASQ_CHAIN,
  EXTERNAL_SERVICES_CHAIN,
  FORWARD_CHAIN,
]);
const HASHED_CHAIN = /^TUGBOAT-(SVC|SVL|SEP|EXT)-[A-Z2-7]{16}$/;

/**
 * Whether a chain is the service proxy's. Other parts of tugboat (the pod network) have chains of
 * their own under the same `TUGBOAT-` prefix: the proxy deletes only the names it can make.
 */
export function isProxyChain(name: string): boolean {
  return FIXED_CHAINS.has(name) || HASHED_CHAIN.test(name);
}

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

const hashCache = new Map<string, string>();
/** Chain names are re-derived on every sync; beyond this many distinct inputs the cache restarts. */
const HASH_CACHE_MAX = 200_000;

/** The first 16 characters of base32(sha256(text)), as Go's base32.StdEncoding writes them. */
export function hash16(text: string): string {
  let hit = hashCache.get(text);
  if (hit === undefined) {
    if (hashCache.size >= HASH_CACHE_MAX) hashCache.clear();
    hit = computeHash16(text);
    hashCache.set(text, hit);
  }
  return hit;
}

function computeHash16(text: string): string {
  const bytes = createHash('sha256').update(text).digest();
  let out = '';
  let bits = 0;
  let value = 0;
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
      if (out.length === 16) return out;
    }
    value &= (1 << bits) - 1;
  }
  return out;
}

/** The chain balancing a Service port over its endpoints (kube-proxy's KUBE-SVC-*). */
export function serviceChain(portKey: string, protocol: string): string {
  return `TUGBOAT-SVC-${hash16(portKey + protocol.toLowerCase())}`;
}

/** The chain balancing over this node's endpoints only, for a `Local` traffic policy (kube-proxy's KUBE-SVL-*). */
export function localServiceChain(portKey: string, protocol: string): string {
  return `TUGBOAT-SVL-${hash16(portKey + protocol.toLowerCase())}`;
}

/** The chain for traffic arriving from outside the cluster (kube-proxy's KUBE-EXT-*). */
export function externalChain(portKey: string, protocol: string): string {
  return `TUGBOAT-EXT-${hash16(portKey + protocol.toLowerCase())}`;
}

/** The chain DNATing to one endpoint (kube-proxy's KUBE-SEP-*). */
export function endpointChain(portKey: string, protocol: string, endpoint: string): string {
  return `TUGBOAT-SEP-${hash16(portKey + protocol.toLowerCase() + endpoint)}`;
}
