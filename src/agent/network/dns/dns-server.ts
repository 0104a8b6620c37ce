/**
 * The node's DNS listener: UDP and TCP on one address and port, answering only clients the
 * `allowed` check accepts (the pod network and loopback: never an open resolver), with bounded
 * work — UDP questions in flight, TCP connections, message sizes and idle time.
 */
import { createSocket, type Socket } from 'node:dgram';
import { createServer, type Server, type Socket as TcpSocket } from 'node:net';
import { type EventSink, silentEvents } from '../../../events.js';
import { handleQuery, type QueryContext } from './handle-query.js';
import { frameMessage, takeFrame } from './tcp-frames.js';

/** Options of `DnsServer`. */
export interface DnsServerOptions extends QueryContext {
  /** Address to listen on (the pod network's gateway on a node; 127.0.0.1 in tests). */
  readonly host: string;
  /** @default 53 */
  readonly port?: number;
  /** True for client addresses that may ask (the others are dropped without a reply). */
  readonly allowed: (address: string) => boolean;
  /** @default 1024 */
  readonly maxUdpInFlight?: number;
  /** @default 128 */
  readonly maxTcpConnections?: number;
  /** A TCP connection idle this long is closed (RFC 7766 suggests seconds). @default 10_000 */
  readonly tcpIdleMs?: number;
  /** @default silentEvents */
  readonly events?: EventSink;
}

/** A running listener; `port` is the bound one (useful with port 0 in tests). */
export class DnsServer {
  private udp: Socket | undefined;
  private tcp: Server | undefined;
  private readonly connections = new Set<TcpSocket>();
  private udpInFlight = 0;
  port = 0;

  constructor(private readonly options: DnsServerOptions) {}

  /** Binds UDP, then TCP on the same port; rejects (and binds nothing) when either fails. */
  async start(): Promise<void> {
    const { host } = this.options;
    const udp = createSocket({ type: host.includes(':') ? 'udp6' : 'udp4' });
    await new Promise<void>((resolve, reject) => {
      udp.once('error', reject);
      udp.bind(this.options.port ?? 53, host, () => {
        udp.off('error', reject);
        resolve();
      });
    });
    this.port = udp.address().port;
    const tcp = createServer((socket) => this.onConnection(socket));
    try {
      await new Promise<void>((resolve, reject) => {
        tcp.once('error', reject);
        tcp.listen(this.port, host, () => {
          tcp.off('error', reject);
          resolve();
        });
      });
    } catch (err) {
      udp.close();
      throw err;
    }
    udp.on('error', (err) => this.warn('udp socket', err));
    tcp.on('error', (err) => this.warn('tcp listener', err));
    udp.on('message', (msg, rinfo) => this.onDatagram(msg, rinfo.address, rinfo.port));
    this.udp = udp;
    this.tcp = tcp;
  }

  /** Closes both listeners and every open connection. */
  async stop(): Promise<void> {
    for (const c of this.connections) c.destroy();
    this.connections.clear();
    const udp = this.udp;
    const tcp = this.tcp;
    this.udp = undefined;
    this.tcp = undefined;
    if (udp) await new Promise<void>((resolve) => udp.close(() => resolve()));
    if (tcp) await new Promise<void>((resolve) => tcp.close(() => resolve()));
  }

  private onDatagram(msg: Buffer, address: string, port: number): void {
    if (!this.options.allowed(address)) return;
    if (this.udpInFlight >= (this.options.maxUdpInFlight ?? 1024)) return;
    this.udpInFlight++;
    handleQuery(msg, false, this.options)
      .then((reply) => {
        if (reply && this.udp) this.udp.send(reply, port, address, () => {});
      })
      .catch((err: unknown) => this.warn('answering a query', err))
      .finally(() => {
        this.udpInFlight--;
      });
  }

  private onConnection(socket: TcpSocket): void {
    if (
      !this.options.allowed(socket.remoteAddress ?? '') ||
      this.connections.size >= (this.options.maxTcpConnections ?? 128)
    ) {
      socket.destroy();
      return;
    }
    this.connections.add(socket);
    socket.setTimeout(this.options.tcpIdleMs ?? 10_000, () => socket.destroy());
    socket.on('error', () => socket.destroy());
    socket.on('close', () => this.connections.delete(socket));
    let buffered: Buffer = Buffer.alloc(0);
    let busy = false;
    const drain = async () => {
      if (busy) return;
      busy = true;
      try {
        for (let frame = takeFrame(buffered); frame; frame = takeFrame(buffered)) {
          buffered = frame.rest;
          const reply = await handleQuery(frame.msg, true, this.options);
          if (socket.destroyed) return;
          if (reply) socket.write(frameMessage(reply));
        }
      } catch (err) {
        this.warn('answering a query over tcp', err);
        socket.destroy();
      } finally {
        busy = false;
      }
    };
    socket.on('data', (chunk: Buffer) => {
      // At most one whole message (2 + 65535 bytes) plus what arrived with it is held.
      buffered = Buffer.concat([buffered, chunk]);
      if (buffered.length > 2 * 65537) {
        socket.destroy();
        return;
      }
      void drain();
    });
  }

  private warn(doing: string, err: unknown): void {
    (this.options.events ?? silentEvents).emit({
      code: 'agent.dns.error',
      level: 'warn',
      message: `cluster dns: ${doing} failed: ${(err as Error).message}`,
      data: {},
    });
  }
}
