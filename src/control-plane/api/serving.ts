import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import type { Duplex } from 'node:stream';
import type { EventSink } from '../../events.js';
import { type ConnectionLimits, guardConnections, serverOptions } from '../../net/connection-guard.js';
import { LEGACY_TLS_OPTIONS, routeLegacyTlsClients } from '../../net/legacy-tls.js';

/** TLS material of the API server's listening socket (PEM text). */
export interface ServingTls {
  readonly cert: string | Buffer;
  readonly key: string | Buffer;
  /** CA that signs client certificates; without it only bearer tokens authenticate. */
  readonly clientCa?: string | Buffer;
}

/** The API server's listening server and, over TLS, the one that serves legacy TLS clients. */
export interface ServingServers {
  /** The server that listens. */
  readonly server: http.Server | https.Server;
  /** Never listens: gets the connections of clients without `signature_algorithms` (src/net/legacy-tls.ts). */
  readonly legacy?: https.Server;
}

/** Options of {@link buildServingServers}. */
export interface ServingServersOptions {
  /** HTTPS with these; plain HTTP without. */
  readonly tls?: ServingTls;
  readonly connections?: ConnectionLimits;
  readonly events: EventSink;
  readonly onRequest: (req: IncomingMessage, res: ServerResponse) => void;
  readonly onUpgrade: (req: IncomingMessage, socket: Duplex, head: Buffer) => void;
}

/**
 * Builds the API server's HTTP(S) servers with the connection limits applied. Over TLS, a client
 * whose TLS cannot verify SHA-256 signatures (busybox `wget` in a pod) is served by a second HTTPS
 * server with the same certificate and handlers; see docs/ssh-and-pki.md.
 */
export function buildServingServers(options: ServingServersOptions): ServingServers {
  const { tls, onRequest, onUpgrade } = options;
  const base = serverOptions(options.connections);
  const guard = (s: http.Server | https.Server) => {
    s.on('upgrade', onUpgrade);
    guardConnections(s, {
      ...options.connections,
      onRefused: (address, open) =>
        options.events.emit({
          code: 'api.connection.refused',
          level: 'warn',
          message: `refused a connection from ${address}: it already has ${open} open (the limit)`,
          data: { address, open },
        }),
    });
  };
  if (!tls) {
    const server = http.createServer(base, onRequest);
    guard(server);
    return { server };
  }
  const server = https.createServer(
    { ...base, cert: tls.cert, key: tls.key, ca: tls.clientCa, requestCert: true, rejectUnauthorized: false },
    onRequest,
  );
  const legacy = https.createServer(
    { ...base, ...LEGACY_TLS_OPTIONS, cert: tls.cert, key: tls.key },
    onRequest,
  );
  routeLegacyTlsClients(server, legacy, { helloTimeoutMs: base.handshakeTimeout });
  guard(server);
  guard(legacy);
  return { server, legacy };
}
