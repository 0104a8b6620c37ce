import type https from 'node:https';
import type { Socket } from 'node:net';
import { type ClientHelloRead, MAX_CLIENT_HELLO_RECORD, readClientHello } from './client-hello.js';

/**
 * TLS settings for clients whose ClientHello has no `signature_algorithms` extension, such as
 * busybox's own TLS (`wget` in a busybox image). RFC 5246 §7.4.1.4.1 then makes a TLS 1.2 server
 * sign its key exchange with SHA-1, which OpenSSL 3 refuses at its default security level: any
 * certificate, ECDSA or RSA, then fails ("no shared cipher" for ECDSA, "no suitable signature
 * algorithm" for RSA). Such clients are served TLS 1.2 ECDHE with the same ECDSA certificate and a
 * SHA-1 signature (security level 0 allows it), and no client certificates: they authenticate by
 * bearer token. Everyone else keeps the main settings, because only clients that cannot use SHA-256
 * signatures are routed here.
 */
export const LEGACY_TLS_OPTIONS = {
  minVersion: 'TLSv1.2',
  maxVersion: 'TLSv1.2',
  ciphers:
    'ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:@SECLEVEL=0',
  requestCert: false,
} as const satisfies https.ServerOptions;

/** Options of {@link routeLegacyTlsClients}. */
export interface LegacyTlsRouteOptions {
  /** A connection whose ClientHello has not arrived within this is closed. @default 10_000 */
  readonly helloTimeoutMs?: number;
}

/**
 * Reads each connection's ClientHello before `server` starts TLS on it, and hands the connection to
 * `legacy` (an HTTPS server that never listens, built with {@link LEGACY_TLS_OPTIONS}) when the
 * client sends TLS 1.2 without `signature_algorithms`; every other connection, anything that is
 * not a ClientHello included, goes to `server`'s own TLS as before. Call it right after creating
 * `server`: it takes over the TLS listener that `https.createServer` registers on 'connection'.
 */
export function routeLegacyTlsClients(
  server: https.Server,
  legacy: https.Server,
  options: LegacyTlsRouteOptions = {},
): void {
  const listeners = server.listeners('connection') as ((socket: Socket) => void)[];
  const [startTls] = listeners;
  if (listeners.length !== 1 || !startTls) {
    throw new Error(
      'routeLegacyTlsClients must be called on a new https.Server, before other connection listeners',
    );
  }
  server.removeListener('connection', startTls);
  const timeoutMs = options.helloTimeoutMs ?? 10_000;
  server.on('connection', (socket: Socket) => {
    const chunks: Buffer[] = [];
    let received = 0;
    const timer = setTimeout(() => socket.destroy(), timeoutMs);
    timer.unref();
    const finish = (read: ClientHelloRead) => {
      clearTimeout(timer);
      socket.removeListener('data', onData);
      socket.removeListener('close', onClose);
      socket.pause();
      // The TLS socket built on this one reads what is unshifted before the rest of the stream.
      socket.unshift(Buffer.concat(chunks, received));
      if (read.kind === 'hello' && isLegacy(read)) legacy.emit('connection', socket);
      else startTls.call(server, socket);
    };
    // Parsed again only once the bytes it asked for are in: a client dribbling its hello byte by
    // byte costs one parse per record header and one for the record, not one per byte.
    let need = 1;
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      received += chunk.length;
      if (received < need) return;
      const read = readClientHello(Buffer.concat(chunks, received));
      if (read.kind === 'incomplete' && received < MAX_CLIENT_HELLO_RECORD) need = read.needBytes;
      else finish(read);
    };
    const onClose = () => clearTimeout(timer);
    // A reset before the hello arrives must not become an unhandled 'error' event.
    socket.on('error', () => socket.destroy());
    socket.on('data', onData);
    socket.once('close', onClose);
  });
}

function isLegacy(read: Extract<ClientHelloRead, { kind: 'hello' }>): boolean {
  return read.hello.version === 0x0303 && !read.hello.signatureAlgorithms;
}
