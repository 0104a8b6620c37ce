import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What an instance's metadata service says. */
export interface ImdsIdentity {
  readonly instanceId: string;
  readonly region: string;
  readonly availabilityZone: string;
  readonly instanceType: string;
  readonly privateIp: string;
  readonly publicIp?: string;
  /** Instance profile role name and its (dummy) credentials. */
  readonly role: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
  /** The instance's user-data (served at /latest/user-data). @default none (404) */
  readonly userData?: string;
}

/** A running IMDSv2 stand-in. */
export interface ImdsServer {
  /** `http://host:port`, or `unix:<path>` with {@link ImdsServerOptions.path}. */
  readonly endpoint: string;
  /** Requests seen, `METHOD path`, in order (tests assert the token dance). */
  readonly requests: string[];
  close(): Promise<void>;
}

/** Options of {@link startImdsServer}. */
export interface ImdsServerOptions {
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** @default 0 (any free port) */
  readonly port?: number;
  /**
   * Listen on this unix socket instead of TCP (the host harness relays an instance's
   * 169.254.169.254:80 to it from inside the instance's network namespace); `endpoint` is then
   * `unix:<path>`. @default none (TCP on host:port)
   */
  readonly path?: string;
}

/**
 * The EC2 instance metadata service as IMDSv2 answers it (moto has none): `PUT /latest/api/token`
 * gives a session token, every GET without a valid one is 401 (HttpTokens: required, as tugboat's
 * launch templates set). Serves the identity document, the meta-data leaves tugboat reads, the
 * role's credentials and the user-data.
 */
export async function startImdsServer(
  identity: ImdsIdentity,
  options: ImdsServerOptions = {},
): Promise<ImdsServer> {
  const tokens = new Set<string>();
  const requests: string[] = [];
  const expiration = new Date(Date.now() + 6 * 3600_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const leaves: Record<string, string | undefined> = {
    '/latest/meta-data/instance-id': identity.instanceId,
    '/latest/meta-data/instance-type': identity.instanceType,
    '/latest/meta-data/placement/availability-zone': identity.availabilityZone,
    '/latest/meta-data/placement/region': identity.region,
    '/latest/meta-data/local-ipv4': identity.privateIp,
    '/latest/meta-data/public-ipv4': identity.publicIp,
    '/latest/meta-data/iam/security-credentials/': identity.role,
    [`/latest/meta-data/iam/security-credentials/${identity.role}`]: JSON.stringify({
      Code: 'Success',
      LastUpdated: new Date().toISOString(),
      Type: 'AWS-HMAC',
      AccessKeyId: identity.accessKeyId,
      SecretAccessKey: identity.secretAccessKey,
      Token: identity.sessionToken,
      Expiration: expiration,
    }),
    '/latest/dynamic/instance-identity/document': JSON.stringify({
      instanceId: identity.instanceId,
      region: identity.region,
      availabilityZone: identity.availabilityZone,
      instanceType: identity.instanceType,
      privateIp: identity.privateIp,
      accountId: '123456789012',
      architecture: 'x86_64',
    }),
    '/latest/user-data': identity.userData,
  };
  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0]!;
    requests.push(`${req.method} ${path}`);
    if (req.method === 'PUT' && path === '/latest/api/token') {
      const ttl = Number(req.headers['x-aws-ec2-metadata-token-ttl-seconds']);
      if (!Number.isInteger(ttl) || ttl < 1 || ttl > 21_600) return send(res, 400, 'bad ttl');
      const token = randomBytes(24).toString('base64');
      tokens.add(token);
      return send(res, 200, token);
    }
    if (req.method !== 'GET') return send(res, 405, 'method not allowed');
    const token = req.headers['x-aws-ec2-metadata-token'];
    if (typeof token !== 'string' || !tokens.has(token)) return send(res, 401, 'unauthorized');
    const body = leaves[path];
    return body === undefined ? send(res, 404, 'not found') : send(res, 200, body);
  };
  const server: Server = createServer(handle);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    if (options.path) server.listen(options.path, () => resolve());
    else server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const bound = server.address();
  const endpoint =
    typeof bound === 'string' || !bound
      ? `unix:${options.path}`
      : `http://${(bound as AddressInfo).address}:${(bound as AddressInfo).port}`;
  return {
    endpoint,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function send(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}
