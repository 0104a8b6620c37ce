/**
 * kube-proxy's service health servers: for each LoadBalancer Service with `externalTrafficPolicy:
 * Local`, an HTTP server on its `healthCheckNodePort` tells a load balancer whether this node has
 * endpoints of it (200 and the count, else 503), so traffic only goes to nodes that can serve it
 * without leaving. Plain HTTP as upstream (load balancers' checkers speak it); it reveals only the
 * Service's name and a count.
 */
import { createServer, type Server } from 'node:http';
import { type EventSink, silentEvents } from '../../../events.js';
import type { ProxyServicePort } from './model.js';

/** What one health server reports. */
export interface HealthCheckTarget {
  readonly namespace: string;
  readonly name: string;
  readonly localEndpoints: number;
}

/** Options of `HealthCheckServers`. */
export interface HealthCheckServersOptions {
  /** Address the servers listen on. @default '0.0.0.0' (every node address, as kube-proxy) */
  readonly host?: string;
  /** @default silentEvents */
  readonly events?: EventSink;
}

/** The health check targets of a model, by port (a Service's ports share one; the first wins). */
export function healthCheckTargets(ports: readonly ProxyServicePort[]): Map<number, HealthCheckTarget> {
  const out = new Map<number, HealthCheckTarget>();
  const counted = new Map<number, Set<string>>();
  for (const p of ports) {
    if (!p.healthCheckNodePort) continue;
    const have = out.get(p.healthCheckNodePort);
    if (have && (have.namespace !== p.namespace || have.name !== p.name)) continue;
    // kube-proxy counts a Service's local endpoints over its ports, each address once.
    const seen = counted.get(p.healthCheckNodePort) ?? new Set<string>();
    counted.set(p.healthCheckNodePort, seen);
    for (const e of p.localEndpoints) seen.add(e.ip);
    out.set(p.healthCheckNodePort, { namespace: p.namespace, name: p.name, localEndpoints: seen.size });
  }
  return out;
}

/** The running health servers, kept in step with the model by `sync`. */
export class HealthCheckServers {
  private readonly servers = new Map<number, { server: Server; target: HealthCheckTarget }>();
  private readonly events: EventSink;

  constructor(private readonly options: HealthCheckServersOptions = {}) {
    this.events = options.events ?? silentEvents;
  }

  /** Opens servers for new ports, closes those no longer wanted, and updates the counts. */
  async sync(wanted: ReadonlyMap<number, HealthCheckTarget>): Promise<void> {
    for (const [port, entry] of [...this.servers]) {
      if (wanted.has(port)) continue;
      this.servers.delete(port);
      await closeServer(entry.server);
    }
    for (const [port, target] of wanted) {
      const have = this.servers.get(port);
      if (have) {
        have.target = target;
        continue;
      }
      const entry = { server: createServer(), target };
      entry.server.on('request', (_req, res) => {
        const { namespace, name, localEndpoints } = entry.target;
        res.setHeader('Content-Type', 'application/json');
        res.setHeader('X-Content-Type-Options', 'nosniff');
        res.setHeader('X-Load-Balancing-Endpoint-Weight', String(localEndpoints));
        res.statusCode = localEndpoints > 0 ? 200 : 503;
        res.end(
          JSON.stringify(
            { service: { namespace, name }, localEndpoints, serviceProxyHealthy: true },
            null,
            2,
          ),
        );
      });
      entry.server.on('clientError', (_err, socket) => socket.destroy());
      try {
        await listen(entry.server, port, this.options.host ?? '0.0.0.0');
        this.servers.set(port, entry);
      } catch (err) {
        // Not kept, so the next sync tries again; the rules still work without it.
        this.events.emit({
          code: 'agent.service-proxy.health-check-error',
          level: 'warn',
          message: `serving the health check of ${namespace(target)} on port ${port} failed: ${(err as Error).message}`,
          data: { port },
        });
      }
    }
  }

  /** The ports being served now. */
  ports(): number[] {
    return [...this.servers.keys()].sort((a, b) => a - b);
  }

  /** Closes every server. */
  async close(): Promise<void> {
    const all = [...this.servers.values()];
    this.servers.clear();
    await Promise.all(all.map((e) => closeServer(e.server)));
  }
}

function namespace(t: HealthCheckTarget): string {
  return `${t.namespace}/${t.name}`;
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
