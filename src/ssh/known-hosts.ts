import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** One key line of an OpenSSH known_hosts file. */
export interface KnownHostEntry {
  readonly marker?: 'cert-authority' | 'revoked';
  /** The host field as written: comma-separated patterns, or one `|1|salt|hash` hashed name. */
  readonly hosts: string;
  readonly keyType: string;
  /** The key blob (SSH wire format). */
  readonly key: Buffer;
  /** 1-based line number, for messages. */
  readonly line: number;
}

/** The name OpenSSH looks up: `host` on port 22, `[host]:port` otherwise. */
export function knownHostName(host: string, port = 22): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

/** OpenSSH's fingerprint format: `SHA256:` and unpadded base64 of the SHA-256 of the key blob. */
export function fingerprint(key: Buffer): string {
  return `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`;
}

/** The key type named inside an SSH key blob (its first length-prefixed string). */
export function keyTypeOf(key: Buffer): string {
  if (key.length < 4) throw new Error('malformed ssh key blob');
  const len = key.readUInt32BE(0);
  if (len > key.length - 4) throw new Error('malformed ssh key blob');
  return key.subarray(4, 4 + len).toString('latin1');
}

/** Parses an OpenSSH public key line (`ssh-ed25519 AAAA... comment`) into its type and blob. */
export function parsePublicKeyLine(text: string): { keyType: string; key: Buffer } {
  const [keyType, b64] = text.trim().split(/\s+/);
  if (!keyType || !b64)
    throw new Error(`"${text.slice(0, 40)}" is not an OpenSSH public key line: use "TYPE BASE64"`);
  const key = Buffer.from(b64, 'base64');
  if (keyTypeOf(key) !== keyType) {
    throw new Error(
      `public key says "${keyType}" but its blob is "${keyTypeOf(key)}": copy the whole line again`,
    );
  }
  return { keyType, key };
}

/** Parses known_hosts text; blank lines, comments and malformed lines are skipped, as OpenSSH does. */
export function parseKnownHosts(text: string): KnownHostEntry[] {
  const out: KnownHostEntry[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const fields = raw.trim().split(/\s+/);
    if (!fields[0] || fields[0].startsWith('#')) return;
    let marker: KnownHostEntry['marker'];
    if (fields[0] === '@cert-authority' || fields[0] === '@revoked') {
      marker = fields[0].slice(1) as KnownHostEntry['marker'];
      fields.shift();
    }
    const [hosts, keyType, b64] = fields;
    if (!hosts || !keyType || !b64) return;
    try {
      const key = Buffer.from(b64, 'base64');
      if (keyTypeOf(key) !== keyType) return;
      out.push({ ...(marker ? { marker } : {}), hosts, keyType, key, line: i + 1 });
    } catch {
      // A malformed key line is ignored, as ssh(1) ignores it.
    }
  });
  return out;
}

function globToRegExp(pattern: string): RegExp {
  const body = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${body}$`, 'i');
}

/** Hashed form of a host name: `|1|base64(salt)|base64(HMAC-SHA1(salt, name))`. */
export function hashHostName(name: string, salt: Buffer = randomBytes(20)): string {
  const mac = createHmac('sha1', salt).update(name).digest();
  return `|1|${salt.toString('base64')}|${mac.toString('base64')}`;
}

/** Whether the host field of an entry matches `name` (`host` or `[host]:port`). */
export function hostsFieldMatches(hosts: string, name: string): boolean {
  if (hosts.startsWith('|1|')) {
    const [, , salt, hash] = hosts.split('|');
    if (!salt || !hash) return false;
    const want = Buffer.from(hash, 'base64');
    const got = createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest();
    return want.length === got.length && timingSafeEqual(want, got);
  }
  let matched = false;
  for (const pattern of hosts.split(',')) {
    const negated = pattern.startsWith('!');
    const glob = negated ? pattern.slice(1) : pattern;
    if (globToRegExp(glob).test(name)) {
      if (negated) return false;
      matched = true;
    }
  }
  return matched;
}

/** Outcome of looking a host key up. */
export type KnownHostsVerdict =
  | { readonly status: 'match' }
  | { readonly status: 'unknown' }
  | { readonly status: 'revoked'; readonly line: number }
  | { readonly status: 'mismatch'; readonly expected: readonly KnownHostEntry[] };

/** A per-cluster known_hosts file (OpenSSH format, plain or hashed names, `[host]:port` form). */
export class KnownHostsFile {
  constructor(readonly path: string) {}

  entries(): KnownHostEntry[] {
    return existsSync(this.path) ? parseKnownHosts(readFileSync(this.path, 'utf8')) : [];
  }

  /** Entries that name this host (certificate authorities are not supported and ignored). */
  entriesFor(host: string, port = 22): KnownHostEntry[] {
    const name = knownHostName(host, port);
    return this.entries().filter((e) => e.marker !== 'cert-authority' && hostsFieldMatches(e.hosts, name));
  }

  /** Compares the key a host offered with what is recorded for it. */
  check(host: string, port: number, key: Buffer): KnownHostsVerdict {
    const entries = this.entriesFor(host, port);
    const revoked = entries.find((e) => e.marker === 'revoked' && e.key.equals(key));
    if (revoked) return { status: 'revoked', line: revoked.line };
    const plain = entries.filter((e) => e.marker === undefined);
    if (plain.some((e) => e.key.equals(key))) return { status: 'match' };
    return plain.length === 0 ? { status: 'unknown' } : { status: 'mismatch', expected: plain };
  }

  /** Appends a key for the host (hashed name if asked); creates the file 0600 in a 0700 directory. */
  add(host: string, port: number, key: Buffer, options: { hash?: boolean } = {}): void {
    const name = knownHostName(host, port);
    mkdirSync(dirname(this.path), { recursive: true, mode: 0o700 });
    const prefix = existsSync(this.path) && !readFileSync(this.path, 'utf8').match(/(^|\n)$/) ? '\n' : '';
    const field = options.hash ? hashHostName(name) : name;
    appendFileSync(this.path, `${prefix}${field} ${keyTypeOf(key)} ${key.toString('base64')}\n`, {
      mode: 0o600,
    });
  }
}
