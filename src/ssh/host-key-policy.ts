import { HostKeyError } from './errors.js';
import { fingerprint, KnownHostsFile, keyTypeOf, knownHostName, parsePublicKeyLine } from './known-hosts.js';

/** How host keys are checked. Shared by every connection to a cluster's hosts. */
export interface HostKeyPolicy {
  /** The cluster's known_hosts file (`~/.tugboat/<cluster>/known_hosts`). */
  readonly knownHostsPath: string;
  /**
   * Host keys accepted for this host although known_hosts does not list it yet (OpenSSH public key
   * lines, e.g. from the inventory or the instance console output). Accepted keys are recorded.
   * @default []
   */
  readonly pinnedHostKeys?: readonly string[];
  /** Record the key of a host never seen before instead of refusing it (trust on first use). @default false */
  readonly trustNewHosts?: boolean;
  /** Write new entries with hashed host names, as `HashKnownHosts yes` does. @default false */
  readonly hashKnownHosts?: boolean;
}

/** What happened to an accepted key. */
export type HostKeyAcceptance = 'known' | 'pinned' | 'trusted-new';

/**
 * Accepts the key `host:port` offered or throws a HostKeyError that names the host, both
 * fingerprints and how to fix it. A changed key is always refused, whatever the options.
 */
export function checkHostKey(
  policy: HostKeyPolicy,
  host: string,
  port: number,
  key: Buffer,
): HostKeyAcceptance {
  const file = new KnownHostsFile(policy.knownHostsPath);
  const name = knownHostName(host, port);
  const offered = fingerprint(key);
  const verdict = file.check(host, port, key);
  if (verdict.status === 'match') return 'known';
  if (verdict.status === 'revoked') {
    throw new HostKeyError({
      host: name,
      problem: 'revoked',
      offered,
      expected: [],
      message: `host key ${offered} of ${name} is marked @revoked in ${policy.knownHostsPath} line ${verdict.line}: refusing to connect`,
    });
  }
  if (verdict.status === 'mismatch') {
    const expected = verdict.expected.map((e) => fingerprint(e.key));
    const lines = verdict.expected.map((e) => e.line).join(', ');
    throw new HostKeyError({
      host: name,
      problem: 'mismatch',
      offered,
      expected,
      message:
        `host key of ${name} changed: ${policy.knownHostsPath} line ${lines} has ${expected.join(', ')} ` +
        `but the host offered ${keyTypeOf(key)} ${offered}; someone may be intercepting the connection. ` +
        `If the host was rebuilt, remove line ${lines} from ${policy.knownHostsPath} and retry`,
    });
  }
  const pins = (policy.pinnedHostKeys ?? []).map(parsePublicKeyLine);
  const record = () => file.add(host, port, key, { hash: policy.hashKnownHosts ?? false });
  if (pins.some((p) => p.key.equals(key))) {
    record();
    return 'pinned';
  }
  if (pins.length > 0) {
    const expected = pins.map((p) => fingerprint(p.key));
    throw new HostKeyError({
      host: name,
      problem: 'mismatch',
      offered,
      expected,
      message: `host key of ${name} is ${offered} but the pinned key is ${expected.join(', ')}: check the pin or the host`,
    });
  }
  if (policy.trustNewHosts) {
    record();
    return 'trusted-new';
  }
  throw new HostKeyError({
    host: name,
    problem: 'unknown',
    offered,
    expected: [],
    message:
      `host key of ${name} is unknown (${keyTypeOf(key)} ${offered}): pin it, or pass --trust-new-hosts ` +
      `to record it in ${policy.knownHostsPath}`,
  });
}

/** SSH host key algorithm names that negotiate a key of each known_hosts key type. */
const ALGORITHMS_FOR_TYPE: Record<string, readonly string[]> = {
  'ssh-rsa': ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'],
};

/**
 * Host key algorithms to offer so the server presents a key type we already know (what ssh(1)
 * does); undefined when nothing is known yet, leaving the library defaults.
 */
export function hostKeyAlgorithmsFor(
  policy: HostKeyPolicy,
  host: string,
  port: number,
): string[] | undefined {
  const known = new KnownHostsFile(policy.knownHostsPath)
    .entriesFor(host, port)
    .filter((e) => e.marker === undefined)
    .map((e) => e.keyType);
  const pinned = (policy.pinnedHostKeys ?? []).map((p) => parsePublicKeyLine(p).keyType);
  const types = known.length > 0 ? known : pinned;
  if (types.length === 0) return undefined;
  return [...new Set(types.flatMap((t) => ALGORITHMS_FOR_TYPE[t] ?? [t]))];
}
