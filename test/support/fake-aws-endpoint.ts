import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { type AddressInfo, connect } from 'node:net';

/** One request a fake endpoint received. */
export interface SeenRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
}

/**
 * A loopback HTTP server answering the two AWS calls the config tests need: STS
 * GetCallerIdentity (query protocol) and the SSO portal's GetRoleCredentials. `failFirst`
 * answers that many requests with HTTP 503 first, to count the SDK's retries.
 */
export interface FakeAwsEndpoint {
  readonly url: string;
  readonly seen: SeenRequest[];
  failFirst: number;
  close(): Promise<void>;
}

const CALLER_IDENTITY = `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
<GetCallerIdentityResult><Arn>arn:aws:iam::111122223333:user/habits</Arn><UserId>AIDAHABITS</UserId>
<Account>111122223333</Account></GetCallerIdentityResult>
<ResponseMetadata><RequestId>00000000-0000-0000-0000-000000000000</RequestId></ResponseMetadata>
</GetCallerIdentityResponse>`;

/** Starts a {@link FakeAwsEndpoint} on 127.0.0.1 and a free port. */
export async function startFakeAwsEndpoint(): Promise<FakeAwsEndpoint> {
  const seen: SeenRequest[] = [];
  const state = { failFirst: 0 };
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
      if (state.failFirst > 0) {
        state.failFirst--;
        res.writeHead(503, { 'content-type': 'text/xml' });
        res.end(
          '<ErrorResponse><Error><Code>ServiceUnavailable</Code><Message>busy</Message></Error></ErrorResponse>',
        );
        return;
      }
      if (req.url?.startsWith('/federation/credentials')) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            roleCredentials: {
              accessKeyId: 'ASIASSOHABITS',
              secretAccessKey: 'sso-secret',
              sessionToken: 'sso-session',
              expiration: Date.now() + 3_600_000,
            },
          }),
        );
        return;
      }
      res.writeHead(200, { 'content-type': 'text/xml' });
      res.end(CALLER_IDENTITY);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    get failFirst() {
      return state.failFirst;
    },
    set failFirst(n: number) {
      state.failFirst = n;
    },
    close: () => closeServer(server),
  };
}

/** A CONNECT proxy on 127.0.0.1 that tunnels to loopback targets only and records them. */
export interface ConnectProxy {
  readonly url: string;
  readonly targets: string[];
  close(): Promise<void>;
}

/** Starts a {@link ConnectProxy}; it refuses any target outside 127.0.0.0/8. */
export async function startConnectProxy(): Promise<ConnectProxy> {
  const targets: string[] = [];
  const server = createServer((_req, res) => {
    res.writeHead(405).end();
  });
  server.on('connect', (req, clientSocket, head) => {
    const target = req.url ?? '';
    targets.push(target);
    const [host, port] = target.split(':');
    if (!host?.startsWith('127.')) {
      clientSocket.end('HTTP/1.1 403 Forbidden\r\n\r\n');
      return;
    }
    const upstream = connect(Number(port), host, () => {
      clientSocket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length) upstream.write(head);
      upstream.pipe(clientSocket);
      clientSocket.pipe(upstream);
    });
    upstream.on('error', () => clientSocket.destroy());
    clientSocket.on('error', () => upstream.destroy());
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, targets, close: () => closeServer(server) };
}

async function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}
