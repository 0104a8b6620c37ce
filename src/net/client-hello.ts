/**
 * Just enough of a TLS ClientHello (RFC 8446 §4.1.2, RFC 5246 §7.4.1.2) to tell which server
 * configuration a client can use: the version it asks for and whether it sends the
 * `signature_algorithms` extension. Pure and bounded: it reads one record from a buffer.
 */

/** What {@link readClientHello} makes of a connection's first bytes. */
export type ClientHelloRead =
  /** Not a TLS handshake record (plain HTTP to the TLS port, say) or malformed. */
  | { readonly kind: 'not-tls' }
  /** A handshake record whose end has not arrived yet: wait for `needBytes` in all. */
  | { readonly kind: 'incomplete'; readonly needBytes: number }
  /** A ClientHello split over several records (large post-quantum key shares): only modern clients send those. */
  | { readonly kind: 'fragmented' }
  | { readonly kind: 'hello'; readonly hello: ClientHelloSummary };

/** The parts of a ClientHello that decide how a server can answer it. */
export interface ClientHelloSummary {
  /** `legacy_version`: 0x0303 for TLS 1.2 and for every TLS 1.3 client. */
  readonly version: number;
  /** Extension type numbers, in the client's order. */
  readonly extensions: readonly number[];
  /** Whether the client sent `signature_algorithms` (13). */
  readonly signatureAlgorithms: boolean;
}

const RECORD_HEADER = 5;
/** The largest TLS plaintext record (2^14) plus its header: the most {@link readClientHello} waits for. */
export const MAX_CLIENT_HELLO_RECORD = RECORD_HEADER + 16_384;
const HANDSHAKE = 0x16;
const CLIENT_HELLO = 0x01;
export const EXT_SIGNATURE_ALGORITHMS = 13;

/** Reads the ClientHello at the start of `buf`, the bytes a client sent first. */
export function readClientHello(buf: Buffer): ClientHelloRead {
  if (buf.length === 0) return { kind: 'incomplete', needBytes: RECORD_HEADER };
  if (buf[0] !== HANDSHAKE) return { kind: 'not-tls' };
  if (buf.length < RECORD_HEADER) return { kind: 'incomplete', needBytes: RECORD_HEADER };
  if (buf[1] !== 0x03) return { kind: 'not-tls' };
  const recordLength = buf.readUInt16BE(3);
  if (RECORD_HEADER + recordLength > MAX_CLIENT_HELLO_RECORD) return { kind: 'not-tls' };
  if (buf.length < RECORD_HEADER + recordLength) {
    return { kind: 'incomplete', needBytes: RECORD_HEADER + recordLength };
  }
  const body = buf.subarray(RECORD_HEADER, RECORD_HEADER + recordLength);
  if (body.length < 4 || body[0] !== CLIENT_HELLO) return { kind: 'not-tls' };
  const helloLength = body.readUIntBE(1, 3);
  if (4 + helloLength > body.length) return { kind: 'fragmented' };
  const hello = parseHelloBody(body.subarray(4, 4 + helloLength));
  return hello ? { kind: 'hello', hello } : { kind: 'not-tls' };
}

/** The ClientHello body after its 4-byte handshake header; undefined when a length runs past the end. */
function parseHelloBody(b: Buffer): ClientHelloSummary | undefined {
  let at = 0;
  const need = (n: number) => at + n <= b.length;
  if (!need(2 + 32 + 1)) return undefined;
  const version = b.readUInt16BE(0);
  at = 2 + 32;
  const skip = (lengthBytes: 1 | 2): boolean => {
    if (!need(lengthBytes)) return false;
    const n = lengthBytes === 1 ? b[at]! : b.readUInt16BE(at);
    at += lengthBytes;
    if (!need(n)) return false;
    at += n;
    return true;
  };
  // session_id, cipher_suites, compression_methods
  if (!skip(1) || !skip(2) || !skip(1)) return undefined;
  const extensions: number[] = [];
  // Extensions are optional before TLS 1.3: a hello that ends here has none.
  if (at < b.length) {
    if (!need(2)) return undefined;
    const end = at + 2 + b.readUInt16BE(at);
    at += 2;
    if (end > b.length) return undefined;
    while (at < end) {
      if (at + 4 > end) return undefined;
      extensions.push(b.readUInt16BE(at));
      const n = b.readUInt16BE(at + 2);
      at += 4 + n;
      if (at > end) return undefined;
    }
  }
  return { version, extensions, signatureAlgorithms: extensions.includes(EXT_SIGNATURE_ALGORITHMS) };
}
