/**
 * One node port's connections in the userspace proxy (kube-proxy's old userspace mode): each
 * accepted connection goes to a random ready endpoint (or the client's affine one), and bytes are
 * piped both ways until either side closes, errs or stays idle too long.
 */
import { connect, type Socket } from 'node:net';
import type { ProxyEndpoint, ProxyServicePort } from '../service-proxy/model.js';

/** Limits shared by every relay of one proxy. */
export interface RelayLimits {
  /** Connections open at once over all node ports; more are reset. */
  readonly maxConnections: number;
  /** A connection with no bytes either way for this long is closed. */
  readonly idleTimeoutMs: number;
  /** Giving up on an endpoint that does not accept within this. */
  readonly connectTimeoutMs: number;
  /** Endpoints tried per connection before the client is reset (kube-proxy's userspace tried several). */
  readonly attempts: number;
  /** Client IPs remembered for session affinity, per node port. */
  readonly maxAffinityEntries: number;
}

/** Open connections over all relays; the cap is checked against it. */
export interface ConnectionCounter {
  open: number;
}

interface Affinity {
  readonly endpoint: string;
  expires: number;
}

/** Accepts connections for one Service port's node port and relays them to its endpoints. */
export class PortRelay {
  private readonly affinity = new Map<string, Affinity>();
  private readonly sockets = new Set<Socket>();

  constructor(
    private port: ProxyServicePort,
    private readonly limits: RelayLimits,
    private readonly counter: ConnectionCounter,
  ) {}

  /** Takes the Service port's latest endpoints and settings; connections already relayed stay. */
  update(port: ProxyServicePort): void {
    this.port = port;
    if (port.affinitySeconds === 0) this.affinity.clear();
  }

  /** The endpoints new connections may go to, as the iptables rules choose them. */
  usable(): readonly ProxyEndpoint[] {
    return (this.port.externalLocal ? this.port.localEndpoints : this.port.endpoints).filter((e) => e.ready);
  }

  /** Relays one accepted client connection, or resets it at once when nothing can take it. */
  accept(client: Socket): void {
    const candidates = this.usable();
    if (candidates.length === 0 || this.counter.open >= this.limits.maxConnections) {
      // kube-proxy rejects (ICMP/RST) rather than letting the client hang.
      client.resetAndDestroy();
      return;
    }
    this.counter.open++;
    this.sockets.add(client);
    client.once('close', () => {
      this.counter.open--;
      this.sockets.delete(client);
    });
    client.on('error', () => client.destroy());
    client.pause();
    client.setTimeout(this.limits.idleTimeoutMs, () => client.destroy());
    const first = this.pick(candidates, client.remoteAddress);
    const order = [first, ...shuffle(candidates.filter((e) => e !== first))].slice(0, this.limits.attempts);
    this.dial(client, order);
  }

  /** Destroys every connection it relays (agent stop). */
  destroyAll(): void {
    for (const s of this.sockets) s.destroy();
  }

  private pick(candidates: readonly ProxyEndpoint[], clientIP: string | undefined): ProxyEndpoint {
    const seconds = this.port.affinitySeconds;
    const now = Date.now();
    if (seconds > 0 && clientIP) {
      const held = this.affinity.get(clientIP);
      const found = held && held.expires > now && candidates.find((e) => key(e) === held.endpoint);
      if (found) {
        held.expires = now + seconds * 1000;
        return found;
      }
    }
    const chosen = candidates[Math.floor(Math.random() * candidates.length)]!;
    if (seconds > 0 && clientIP) this.remember(clientIP, key(chosen), now + seconds * 1000, now);
    return chosen;
  }

  private remember(clientIP: string, endpoint: string, expires: number, now: number): void {
    if (this.affinity.size >= this.limits.maxAffinityEntries) {
      for (const [ip, a] of this.affinity) if (a.expires <= now) this.affinity.delete(ip);
      // Still full: forget the oldest entry (Maps iterate in insertion order).
      if (this.affinity.size >= this.limits.maxAffinityEntries) {
        const oldest = this.affinity.keys().next().value;
        if (oldest !== undefined) this.affinity.delete(oldest);
      }
    }
    this.affinity.delete(clientIP);
    this.affinity.set(clientIP, { endpoint, expires });
  }

  /** Connects to the first endpoint that accepts, then pipes; none accepting resets the client. */
  private dial(client: Socket, order: readonly ProxyEndpoint[]): void {
    const [endpoint, ...rest] = order;
    if (!endpoint || client.destroyed) {
      if (!client.destroyed) client.resetAndDestroy();
      return;
    }
    const upstream = connect({ host: endpoint.ip, port: endpoint.port, allowHalfOpen: true });
    upstream.setTimeout(this.limits.connectTimeoutMs);
    const fail = () => {
      upstream.destroy();
      if (this.port.affinitySeconds > 0 && client.remoteAddress) this.affinity.delete(client.remoteAddress);
      this.dial(client, rest);
    };
    upstream.once('error', fail);
    upstream.once('timeout', fail);
    upstream.once('connect', () => {
      upstream.off('error', fail);
      upstream.off('timeout', fail);
      this.pipe(client, upstream);
    });
    client.once('close', () => upstream.destroy());
  }

  private pipe(client: Socket, upstream: Socket): void {
    upstream.setTimeout(this.limits.idleTimeoutMs, () => upstream.destroy());
    // Half-closes travel through (pipe ends the other side); an error anywhere ends both.
    upstream.on('error', () => client.destroy());
    upstream.once('close', () => {
      if (!client.writableEnded) client.end();
    });
    client.pipe(upstream);
    upstream.pipe(client);
    client.resume();
  }
}

function key(e: ProxyEndpoint): string {
  return `${e.ip}:${e.port}`;
}

function shuffle<T>(items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}
