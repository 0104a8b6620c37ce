/**
 * The userspace service proxy (kube-proxy's old userspace mode, no kernel rules at all): for every
 * TCP Service port with a node port, a listener on this node's address that relays each
 * connection to a ready endpoint. It is the service proxy of the process runtime, whose pods share
 * the host network, so their endpoints (`<node address>:<targetPort>`) are reachable as they are.
 * A port it cannot bind is reported (an agent event and a Warning Event on the Service) and
 * retried with backoff; it never ends the agent.
 */
import { createServer, type Server } from 'node:net';
import { type EventSink, silentEvents } from '../../../events.js';
import { type ProxyServicePort, servicePortKey } from '../service-proxy/model.js';
import type { ProxyBackend } from '../service-proxy/service-proxy.js';
import { type ConnectionCounter, PortRelay, type RelayLimits } from './relay.js';

/** Options of `UserspaceProxy`. */
export interface UserspaceProxyOptions {
  /** The address node ports are served on (the node's InternalIP; 127.0.0.1 for `tugboat local`). */
  readonly host: string;
  /** @default silentEvents */
  readonly events?: EventSink;
  /**
   * Called on the first failure to bind a Service's node port (the agent writes a Warning Event
   * on the Service). @default none (agent events only)
   */
  readonly onPortUnavailable?: (service: { namespace: string; name: string }, message: string) => void;
  /** Connections open at once over all node ports; more are reset. @default 4096 */
  readonly maxConnections?: number;
  /** A relayed connection idle (no bytes either way) this long is closed. @default 900_000 */
  readonly idleTimeoutMs?: number;
  /** An endpoint that does not accept within this is skipped for the next. @default 10_000 */
  readonly connectTimeoutMs?: number;
  /** First retry delay of a port that could not be bound, doubling up to 30 s. @default 1_000 */
  readonly retryMs?: number;
}

interface Listener {
  readonly nodePort: number;
  readonly relay: PortRelay;
  port: ProxyServicePort;
  server?: Server;
  retry?: NodeJS.Timeout;
  failures: number;
  closed: boolean;
}

const MAX_RETRY_MS = 30_000;

/** Serves node ports from user space; plug it into `ServiceProxy` as its backend. */
export class UserspaceProxy implements ProxyBackend {
  private readonly listeners = new Map<number, Listener>();
  private readonly counter: ConnectionCounter = { open: 0 };
  private readonly limits: RelayLimits;
  private readonly events: EventSink;

  constructor(private readonly options: UserspaceProxyOptions) {
    this.events = options.events ?? silentEvents;
    this.limits = {
      maxConnections: options.maxConnections ?? 4096,
      idleTimeoutMs: options.idleTimeoutMs ?? 900_000,
      connectTimeoutMs: options.connectTimeoutMs ?? 10_000,
      attempts: 3,
      maxAffinityEntries: 10_000,
    };
  }

  /** Connections being relayed now. */
  get openConnections(): number {
    return this.counter.open;
  }

  /** Node ports listened on now (bound, not waiting for a retry). */
  boundPorts(): number[] {
    return [...this.listeners.values()].filter((l) => l.server?.listening).map((l) => l.nodePort);
  }

  /**
   * Opens a listener per wanted node port (TCP; UDP and SCTP are not served), updates the
   * endpoints of those already open and closes the rest. Established connections of a closed
   * port keep going, as conntrack keeps them in the iptables mode. Bind failures do not fail the
   * sync: they are reported and retried per port.
   */
  async sync(ports: readonly ProxyServicePort[]): Promise<{ lines: number }> {
    const wanted = new Map<number, ProxyServicePort>();
    for (const p of ports) {
      if (p.protocol === 'TCP' && p.nodePort > 0 && !wanted.has(p.nodePort)) wanted.set(p.nodePort, p);
    }
    for (const [nodePort, l] of this.listeners) {
      if (!wanted.has(nodePort)) this.closeListener(l);
    }
    const opening: Promise<void>[] = [];
    for (const [nodePort, port] of wanted) {
      const l = this.listeners.get(nodePort);
      if (l) {
        l.port = port;
        l.relay.update(port);
        continue;
      }
      const created: Listener = {
        nodePort,
        port,
        relay: new PortRelay(port, this.limits, this.counter),
        failures: 0,
        closed: false,
      };
      this.listeners.set(nodePort, created);
      opening.push(this.open(created));
    }
    await Promise.all(opening);
    return { lines: this.listeners.size };
  }

  /** Closes every listener and connection (agent stop). */
  async close(): Promise<void> {
    const servers = [...this.listeners.values()].map((l) => l.server);
    for (const l of this.listeners.values()) {
      this.closeListener(l);
      l.relay.destroyAll();
    }
    await Promise.all(
      servers.map((s) =>
        s?.listening ? new Promise<void>((resolve) => s.close(() => resolve())) : undefined,
      ),
    );
  }

  private closeListener(l: Listener): void {
    l.closed = true;
    if (l.retry) clearTimeout(l.retry);
    l.server?.close();
    this.listeners.delete(l.nodePort);
  }

  private open(l: Listener): Promise<void> {
    const server = createServer({ allowHalfOpen: true, pauseOnConnect: true }, (socket) =>
      l.relay.accept(socket),
    );
    return new Promise<void>((resolve) => {
      const failed = (err: NodeJS.ErrnoException) => {
        server.close();
        this.bindFailed(l, err);
        resolve();
      };
      server.once('error', failed);
      server.listen({ host: this.options.host, port: l.nodePort, exclusive: true }, () => {
        server.off('error', failed);
        // Accept errors after binding (EMFILE…) must not end the agent.
        server.on('error', (err) => this.warnAccept(l, err));
        if (l.closed) {
          server.close();
        } else {
          l.server = server;
          if (l.failures > 0)
            this.events.emit({
              code: 'agent.service-proxy.port-open',
              level: 'info',
              message: `listening on ${this.address(l)} for ${servicePortKey(l.port)} after ${l.failures} failed attempt(s)`,
              data: { nodePort: l.nodePort },
            });
          l.failures = 0;
        }
        resolve();
      });
    });
  }

  private bindFailed(l: Listener, err: NodeJS.ErrnoException): void {
    if (l.closed) return;
    l.failures++;
    const delay = Math.min((this.options.retryMs ?? 1000) * 2 ** Math.min(l.failures - 1, 10), MAX_RETRY_MS);
    const reason = err.code === 'EADDRINUSE' ? 'the port is in use by another process' : err.message;
    const message = `cannot listen on ${this.address(l)} for ${servicePortKey(l.port)}: ${reason}; retrying in ${Math.round(delay / 1000)} s`;
    this.events.emit({
      code: 'agent.service-proxy.port-unavailable',
      level: 'warn',
      message,
      data: { nodePort: l.nodePort, service: servicePortKey(l.port), code: err.code, attempt: l.failures },
    });
    // Once per failure streak: a Warning Event on the Service, as kube-proxy reports a port it cannot open.
    if (l.failures === 1)
      this.options.onPortUnavailable?.({ namespace: l.port.namespace, name: l.port.name }, message);
    l.retry = setTimeout(() => {
      l.retry = undefined;
      if (!l.closed) void this.open(l);
    }, delay);
  }

  private warnAccept(l: Listener, err: Error): void {
    this.events.emit({
      code: 'agent.service-proxy.accept-error',
      level: 'warn',
      message: `accepting on ${this.address(l)} failed: ${err.message}`,
      data: { nodePort: l.nodePort },
    });
  }

  private address(l: Listener): string {
    return `${this.options.host}:${l.nodePort}`;
  }
}
