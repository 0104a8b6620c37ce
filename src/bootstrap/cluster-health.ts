import { request } from 'node:https';

/** Options for {@link readClusterHealth}. */
export interface ClusterHealthOptions {
  /** API server URL, e.g. `https://10.0.0.4:6443`. */
  readonly server: string;
  readonly caPem: string;
  /** Admin client certificate and key. */
  readonly certPem: string;
  readonly keyPem: string;
  /** Per request. @default 5000 */
  readonly timeoutMs?: number;
}

/** What the control plane says about the cluster. */
export interface ClusterHealth {
  /** `/readyz` answered 200 over TLS verified against the cluster CA. */
  readonly controlPlaneReady: boolean;
  /** Names of the Nodes whose Ready condition is True (empty when the control plane is not ready). */
  readonly readyNodes: ReadonlySet<string>;
  /** Why the control plane counts as not ready. */
  readonly problem?: string;
}

interface NodeList {
  items?: { metadata?: { name?: string }; status?: { conditions?: { type?: string; status?: string }[] } }[];
}

function get(path: string, o: ClusterHealthOptions): Promise<{ status: number; body: string }> {
  const timeout = o.timeoutMs ?? 5_000;
  return new Promise((resolve, reject) => {
    const req = request(
      `${o.server}${path}`,
      { ca: o.caPem, cert: o.certPem, key: o.keyPem, agent: false, timeout },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c) => {
          body += c;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeout} ms`)));
    req.on('error', reject);
    req.end();
  });
}

/**
 * Asks the control plane, once and with the admin credentials, whether it is ready and which
 * Nodes are Ready. Never throws: an unreachable or unhealthy control plane is reported as not
 * ready, with the reason.
 */
export async function readClusterHealth(options: ClusterHealthOptions): Promise<ClusterHealth> {
  const none = (problem: string): ClusterHealth => ({
    controlPlaneReady: false,
    readyNodes: new Set(),
    problem,
  });
  try {
    const ready = await get('/readyz', options);
    if (ready.status !== 200) return none(`/readyz answered HTTP ${ready.status}`);
    const nodes = await get('/api/v1/nodes', options);
    if (nodes.status !== 200) return none(`listing nodes answered HTTP ${nodes.status}`);
    const names = ((JSON.parse(nodes.body) as NodeList).items ?? [])
      .filter((n) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'))
      .map((n) => n.metadata?.name)
      .filter((n): n is string => Boolean(n));
    return { controlPlaneReady: true, readyNodes: new Set(names) };
  } catch (err) {
    return none((err as Error).message);
  }
}
