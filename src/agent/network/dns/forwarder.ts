/**
 * Forwards questions outside the cluster zone to the host's resolvers (CoreDNS's
 * `forward . /etc/resolv.conf`): the query's bytes as received, over UDP (TCP when the client used
 * TCP or the answer came back truncated), each server in turn with a bounded timeout.
 */
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import { frameMessage, takeFrame } from './tcp-frames.js';

/** Sends a query on; resolves the upstream's answer, or undefined when none answered in time. */
export interface Forwarder {
  forward(query: Buffer, tcp: boolean): Promise<Buffer | undefined>;
}

/** Options of `UpstreamForwarder`. */
export interface UpstreamForwarderOptions {
  /** Upstream resolvers (IPv4/IPv6 addresses, port 53 unless `host:port` / `[v6]:port`), tried in order. */
  readonly servers: () => readonly string[];
  /** Time for one server to answer. @default 2000 */
  readonly timeoutMs?: number;
  /** Questions forwarded at once; beyond it a question gets no upstream answer (SERVFAIL). @default 256 */
  readonly maxInFlight?: number;
}

const MAX_SERVERS = 3;

/** Splits `host`, `host:port` or `[v6]:port` into an address and port (53 by default). */
export function parseUpstream(server: string): { host: string; port: number } | undefined {
  const v6 = /^\[([0-9a-fA-F:.]+)\](?::(\d{1,5}))?$/.exec(server);
  if (v6) return checkPort(v6[1] ?? '', v6[2]);
  if (server.includes(':') && /^[0-9a-fA-F:.]+$/.test(server) && server.split(':').length > 2)
    return { host: server, port: 53 };
  const v4 = /^(\d{1,3}(?:\.\d{1,3}){3})(?::(\d{1,5}))?$/.exec(server);
  return v4 ? checkPort(v4[1] ?? '', v4[2]) : undefined;
}

function checkPort(host: string, port: string | undefined): { host: string; port: number } | undefined {
  const n = port === undefined ? 53 : Number(port);
  return n >= 1 && n <= 65535 ? { host, port: n } : undefined;
}

/** The real forwarder over the host's sockets. */
export class UpstreamForwarder implements Forwarder {
  private inFlight = 0;

  constructor(private readonly options: UpstreamForwarderOptions) {}

  async forward(query: Buffer, tcp: boolean): Promise<Buffer | undefined> {
    if (this.inFlight >= (this.options.maxInFlight ?? 256)) return undefined;
    this.inFlight++;
    try {
      const timeout = this.options.timeoutMs ?? 2000;
      for (const server of this.options.servers().slice(0, MAX_SERVERS)) {
        const up = parseUpstream(server);
        if (!up) continue;
        let reply = tcp ? undefined : await askUdp(up, query, timeout);
        if (tcp || (reply && (reply[2] ?? 0) & 0x02)) reply = await askTcp(up, query, timeout);
        if (reply) return reply;
      }
      return undefined;
    } finally {
      this.inFlight--;
    }
  }
}

/** One UDP exchange; the answer must come from the server and carry the query's id. */
function askUdp(
  up: { host: string; port: number },
  query: Buffer,
  timeoutMs: number,
): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const socket = createSocket(up.host.includes(':') ? 'udp6' : 'udp4');
    const done = (reply: Buffer | undefined) => {
      clearTimeout(timer);
      socket.removeAllListeners('message');
      socket.close();
      resolve(reply);
    };
    const timer = setTimeout(() => done(undefined), timeoutMs);
    socket.on('error', () => done(undefined));
    socket.on('message', (msg, rinfo) => {
      if (rinfo.address !== up.host || rinfo.port !== up.port) return;
      if (msg.length < 12 || msg.readUInt16BE(0) !== query.readUInt16BE(0)) return;
      done(msg);
    });
    socket.send(query, up.port, up.host, (err) => {
      if (err) done(undefined);
    });
  });
}

/** One TCP exchange (RFC 1035 4.2.2: two length bytes before each message). */
function askTcp(
  up: { host: string; port: number },
  query: Buffer,
  timeoutMs: number,
): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    let buffered: Buffer = Buffer.alloc(0);
    const socket = connect({ host: up.host, port: up.port });
    const done = (reply: Buffer | undefined) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(reply);
    };
    const timer = setTimeout(() => done(undefined), timeoutMs);
    socket.on('error', () => done(undefined));
    socket.on('close', () => done(undefined));
    socket.on('connect', () => socket.write(frameMessage(query)));
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      const frame = takeFrame(buffered);
      if (frame) done(frame.msg);
    });
  });
}
