import { TugboatError } from '../errors.js';

/** What the EC2 instance metadata service (IMDSv2) says about this instance. */
export interface InstanceIdentity {
  readonly instanceId: string;
  readonly region: string;
  readonly availabilityZone: string;
  readonly instanceType: string;
  readonly privateIp: string;
  readonly publicIp?: string;
  readonly localHostname?: string;
}

/** Options of the IMDSv2 client. */
export interface ImdsOptions {
  /** @default http://169.254.169.254 */
  readonly endpoint?: string;
  /** Per request. @default 2_000 */
  readonly timeoutMs?: number;
}

/**
 * Reads the instance identity through IMDSv2: a PUT for a session token, then GETs of the
 * identity document and the public IPv4 (absent when the instance has none) with that token.
 */
export async function fetchInstanceIdentity(options: ImdsOptions = {}): Promise<InstanceIdentity> {
  const base = (options.endpoint ?? 'http://169.254.169.254').replace(/\/$/, '');
  const timeout = options.timeoutMs ?? 2_000;
  const call = async (method: 'GET' | 'PUT', path: string, headers: Record<string, string>) => {
    let res: Response;
    try {
      res = await fetch(`${base}${path}`, { method, headers, signal: AbortSignal.timeout(timeout) });
    } catch (err) {
      throw new TugboatError(
        'IMDS',
        `instance metadata at ${base} is unreachable (${(err as Error).message}): run on EC2 or pass the node identity as flags`,
        { cause: err },
      );
    }
    return res;
  };
  const tokenRes = await call('PUT', '/latest/api/token', { 'x-aws-ec2-metadata-token-ttl-seconds': '300' });
  if (!tokenRes.ok)
    throw new TugboatError('IMDS', `IMDSv2 token request to ${base} failed with ${tokenRes.status}`);
  const token = await tokenRes.text();
  const auth = { 'x-aws-ec2-metadata-token': token };
  const docRes = await call('GET', '/latest/dynamic/instance-identity/document', auth);
  if (!docRes.ok)
    throw new TugboatError('IMDS', `instance identity document request failed with ${docRes.status}`);
  const doc = (await docRes.json()) as Record<string, string>;
  const optional = async (path: string) => {
    const r = await call('GET', path, auth);
    return r.ok ? (await r.text()).trim() || undefined : undefined;
  };
  const publicIp = await optional('/latest/meta-data/public-ipv4');
  const localHostname = await optional('/latest/meta-data/local-hostname');
  const need = (k: string) => {
    const v = doc[k];
    if (!v) throw new TugboatError('IMDS', `instance identity document has no ${k}`);
    return v;
  };
  return {
    instanceId: need('instanceId'),
    region: need('region'),
    availabilityZone: need('availabilityZone'),
    instanceType: need('instanceType'),
    privateIp: need('privateIp'),
    ...(publicIp ? { publicIp } : {}),
    ...(localHostname ? { localHostname } : {}),
  };
}
