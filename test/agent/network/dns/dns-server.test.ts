/**
 * The DNS listener over real loopback sockets: cluster answers, forwarding to an upstream server
 * on loopback (UDP, TCP, TC fallback, a dead upstream bounded by the timeout), the client filter,
 * and a fuzz of malformed messages that must never stop it.
 */
import { randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { connect, createServer, type Server } from 'node:net';
import * as packet from 'dns-packet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildClientFilter } from '../../../../src/agent/network/dns/cluster-dns.js';
import { DnsServer } from '../../../../src/agent/network/dns/dns-server.js';
import { UpstreamForwarder } from '../../../../src/agent/network/dns/forwarder.js';
import { ClusterZone } from '../../../../src/agent/network/dns/records.js';
import { frameMessage, takeFrame } from '../../../../src/agent/network/dns/tcp-frames.js';
import type { Service } from '../../../../src/kube/index.js';

const service = (name: string, clusterIP: string): Service => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { namespace: 'shop', name },
  spec: { clusterIP, ports: [{ name: 'http', port: 80 }] },
});
const web = service('web', '10.96.0.20');
const many = service('many', 'None');
const manyEndpoints = {
  metadata: { namespace: 'shop', name: 'many' },
  subsets: [
    {
      addresses: Array.from({ length: 60 }, (_, i) => ({ ip: `10.244.7.${i + 1}` })),
      ports: [{ name: 'http', port: 80 }],
    },
  ],
};

/** An upstream resolver on loopback: answers `*.example.org` A 192.0.2.1 over UDP and TCP; `big.example.org` is truncated over UDP. */
class Upstream {
  udp!: Socket;
  tcp: Server = createServer((s) => {
    let buf: Buffer = Buffer.alloc(0);
    s.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      const frame = takeFrame(buf);
      if (frame) s.end(frameMessage(this.reply(frame.msg, true)));
    });
  });
  port = 0;
  udpQueries = 0;
  tcpQueries = 0;

  reply(msg: Buffer, tcp: boolean): Buffer {
    const q = packet.decode(msg);
    if (tcp) this.tcpQueries++;
    else this.udpQueries++;
    const name = q.questions?.[0]?.name ?? '';
    const truncate = !tcp && name === 'big.example.org';
    return packet.encode({
      type: 'response',
      id: q.id,
      flags: packet.RECURSION_AVAILABLE | (truncate ? packet.TRUNCATED_RESPONSE : 0),
      questions: q.questions,
      answers: truncate ? [] : [{ name, type: 'A', ttl: 60, data: tcp ? '192.0.2.2' : '192.0.2.1' }],
    });
  }

  private newUdp(): Socket {
    const udp = createSocket('udp4');
    udp.on('message', (m, r) => {
      // Fuzzed names that dns-packet cannot encode back get no answer, as from a strict server.
      try {
        udp.send(this.reply(m, false), r.port, r.address);
      } catch {}
    });
    return udp;
  }

  async start(): Promise<void> {
    this.udp = this.newUdp();
    // One port for both: UDP takes a free one, TCP the same number, which another process may
    // hold (then try another, a bounded number of times).
    for (let attempt = 0; ; attempt++) {
      await new Promise<void>((r) => this.udp.bind(0, '127.0.0.1', () => r()));
      this.port = this.udp.address().port;
      const listened = await new Promise<Error | undefined>((r) => {
        this.tcp.once('error', r);
        this.tcp.listen(this.port, '127.0.0.1', () => {
          this.tcp.off('error', r);
          r(undefined);
        });
      });
      if (!listened) return;
      if (attempt >= 20) throw listened;
      await new Promise<void>((r) => this.udp.close(() => r()));
      this.udp = this.newUdp();
    }
  }

  async stop(): Promise<void> {
    await new Promise<void>((r) => this.udp.close(() => r()));
    await new Promise<void>((r) => this.tcp.close(() => r()));
  }
}

/** A decoded reply; dns-packet decodes `rcode`, its types leave it out. */
type Reply = packet.DecodedPacket & { rcode?: string };

function askUdp(port: number, msg: Buffer, timeoutMs = 3000): Promise<Reply | undefined> {
  return new Promise((resolve) => {
    const s = createSocket('udp4');
    const t = setTimeout(() => {
      s.close();
      resolve(undefined);
    }, timeoutMs);
    s.on('message', (m) => {
      clearTimeout(t);
      s.close();
      resolve(packet.decode(m));
    });
    s.send(msg, port, '127.0.0.1');
  });
}

function askTcp(port: number, msg: Buffer): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1');
    let buf: Buffer = Buffer.alloc(0);
    s.on('error', reject);
    s.on('close', () => reject(new Error('connection closed without an answer')));
    s.on('connect', () => s.write(frameMessage(msg)));
    s.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      const frame = takeFrame(buf);
      if (frame) {
        resolve(packet.decode(frame.msg));
        s.destroy();
      }
    });
  });
}

function query(name: string, type: packet.RecordType = 'A', id = 4242): Buffer {
  return packet.encode({
    type: 'query',
    id,
    flags: packet.RECURSION_DESIRED,
    questions: [{ name, type, class: 'IN' }],
  });
}

describe('DnsServer on loopback', () => {
  const upstream = new Upstream();
  let upstreams: string[] = [];
  let server: DnsServer;
  let denied: DnsServer;

  beforeAll(async () => {
    await upstream.start();
    upstreams = [`127.0.0.1:${upstream.port}`];
    const zone = new ClusterZone({
      services: new Map([
        ['shop/web', web],
        ['shop/many', many],
      ]),
      endpoints: new Map([['shop/many', manyEndpoints as never]]),
    });
    const forwarder = new UpstreamForwarder({ servers: () => upstreams, timeoutMs: 300 });
    server = new DnsServer({
      host: '127.0.0.1',
      port: 0,
      zone,
      forwarder,
      allowed: buildClientFilter('10.244.0.0/16'),
    });
    await server.start();
    // The same server with a filter that admits nobody: must stay silent.
    denied = new DnsServer({ host: '127.0.0.1', port: 0, zone, forwarder, allowed: () => false });
    await denied.start();
  });

  afterAll(async () => {
    await server.stop();
    await denied.stop();
    await upstream.stop();
  });

  it('answers the cluster zone authoritatively over UDP and TCP', async () => {
    const udp = await askUdp(server.port, query('web.shop.svc.cluster.local'));
    expect(udp?.id).toBe(4242);
    expect(udp?.rcode).toBe('NOERROR');
    expect(udp?.flag_aa).toBe(true);
    expect(udp?.flag_rd).toBe(true);
    expect(udp?.answers).toMatchObject([
      { name: 'web.shop.svc.cluster.local', type: 'A', data: '10.96.0.20', ttl: 5 },
    ]);
    const tcp = await askTcp(server.port, query('_http._tcp.web.shop.svc.cluster.local', 'SRV'));
    expect(tcp.answers?.[0]).toMatchObject({
      type: 'SRV',
      data: { port: 80, target: 'web.shop.svc.cluster.local' },
    });
    const nx = await askUdp(server.port, query('nope.shop.svc.cluster.local'));
    expect(nx?.rcode).toBe('NXDOMAIN');
    expect(nx?.authorities?.[0]?.type).toBe('SOA');
    expect(upstream.udpQueries + upstream.tcpQueries).toBe(0);
  });

  it('answers PTR for a cluster address and sends reverse names it does not know upstream', async () => {
    const known = await askUdp(server.port, query('20.0.96.10.in-addr.arpa', 'PTR'));
    expect(known?.rcode).toBe('NOERROR');
    expect(known?.flag_aa).toBe(true);
    expect(known?.answers).toMatchObject([
      { name: '20.0.96.10.in-addr.arpa', type: 'PTR', data: 'web.shop.svc.cluster.local', ttl: 5 },
    ]);
    const endpoint = await askTcp(server.port, query('7.7.244.10.in-addr.arpa', 'PTR'));
    expect(endpoint.answers).toMatchObject([{ data: '10-244-7-7.many.shop.svc.cluster.local' }]);
    const before = upstream.udpQueries;
    const unknown = await askUdp(server.port, query('1.2.0.192.in-addr.arpa', 'PTR', 78));
    expect(unknown?.id).toBe(78);
    expect(upstream.udpQueries).toBe(before + 1);
  });

  it('sets TC when the answer does not fit 512 bytes of UDP and gives it all over TCP', async () => {
    const udp = await askUdp(server.port, query('many.shop.svc.cluster.local'));
    expect(udp?.flag_tc).toBe(true);
    expect(udp?.answers).toEqual([]);
    const tcp = await askTcp(server.port, query('many.shop.svc.cluster.local'));
    expect(tcp.answers).toHaveLength(60);
  });

  it('forwards other names to the upstream, retrying a truncated answer over TCP', async () => {
    const fwd = await askUdp(server.port, query('www.example.org', 'A', 77));
    expect(fwd?.id).toBe(77);
    expect(fwd?.answers?.[0]).toMatchObject({ data: '192.0.2.1' });
    const big = await askUdp(server.port, query('big.example.org'));
    expect(big?.answers?.[0]).toMatchObject({ data: '192.0.2.2' });
    const overTcp = await askTcp(server.port, query('www.example.org'));
    expect(overTcp.answers?.[0]).toMatchObject({ data: '192.0.2.2' });
  });

  it('answers SERVFAIL within the bound when no upstream answers', async () => {
    const dead = createSocket('udp4');
    await new Promise<void>((r) => dead.bind(0, '127.0.0.1', () => r()));
    upstreams = [`127.0.0.1:${dead.address().port}`];
    try {
      const started = Date.now();
      const r = await askUdp(server.port, query('www.example.org'));
      expect(r?.rcode).toBe('SERVFAIL');
      expect(Date.now() - started).toBeLessThan(2500);
    } finally {
      upstreams = [`127.0.0.1:${upstream.port}`];
      dead.close();
    }
  });

  it('is not an open resolver: a client outside the allowed ranges gets nothing', async () => {
    expect(await askUdp(denied.port, query('web.shop.svc.cluster.local'), 500)).toBeUndefined();
    await expect(askTcp(denied.port, query('web.shop.svc.cluster.local'))).rejects.toThrow();
    const allow = buildClientFilter('10.244.0.0/16');
    expect(['10.244.3.7', '127.0.0.1', '::ffff:10.244.0.1'].map(allow)).toEqual([true, true, true]);
    expect(['10.245.0.1', '192.168.1.1', '::1', 'junk', ''].map(allow)).toEqual([
      false,
      false,
      false,
      false,
      false,
    ]);
  });

  it('answers FORMERR/NOTIMP for bad messages, ignores responses, and survives a fuzz of garbage', async () => {
    const good = query('web.shop.svc.cluster.local');
    const twoQuestions = packet.encode({
      type: 'query',
      id: 9,
      questions: [
        { name: 'a.cluster.local', type: 'A' },
        { name: 'b.cluster.local', type: 'A' },
      ],
    });
    expect((await askUdp(server.port, twoQuestions))?.rcode).toBe('FORMERR');
    const notify = Buffer.from(good);
    notify.writeUInt16BE((good.readUInt16BE(2) & ~0x7800) | (4 << 11), 2);
    expect((await askUdp(server.port, notify))?.rcode).toBe('NOTIMP');
    const truncatedName = good.subarray(0, good.length - 6);
    expect((await askUdp(server.port, truncatedName))?.rcode).toBe('FORMERR');
    const response = Buffer.from(good);
    response.writeUInt16BE(good.readUInt16BE(2) | 0x8000, 2);
    expect(await askUdp(server.port, response, 300)).toBeUndefined();

    // Random bytes, random cuts and bit flips of a good query, and a compression-pointer loop.
    const loop = Buffer.from(good.subarray(0, 12));
    loop.writeUInt16BE(1, 4);
    const fuzz: Buffer[] = [Buffer.concat([loop, Buffer.from([0xc0, 12, 0, 1, 0, 1])])];
    for (let i = 0; i < 400; i++) {
      if (i % 3 === 0) fuzz.push(randomBytes(1 + (i % 80)));
      else if (i % 3 === 1) fuzz.push(good.subarray(0, i % good.length));
      else {
        const b = Buffer.from(good);
        b.writeUInt8((b.readUInt8(i % b.length) ^ (1 << (i % 8))) & 0xff, i % b.length);
        b.writeUInt8(b.readUInt8((i * 7) % b.length) ^ 0xff, (i * 7) % b.length);
        fuzz.push(b);
      }
    }
    const client = createSocket('udp4');
    await new Promise<void>((r) => client.bind(0, '127.0.0.1', () => r()));
    for (const f of fuzz) client.send(f, server.port, '127.0.0.1');
    // Over TCP: garbage frames, a frame that claims more than it sends, then a close.
    const s = connect(server.port, '127.0.0.1');
    await new Promise((r) => s.on('connect', r));
    s.write(Buffer.from([0, 3, 1, 2, 3, 0xff, 0xff, 1]));
    s.destroy();
    await new Promise((r) => setTimeout(r, 200));
    client.close();
    const after = await askUdp(server.port, good);
    expect(after?.answers?.[0]).toMatchObject({ data: '10.96.0.20' });
    expect((await askTcp(server.port, good)).answers?.[0]).toMatchObject({ data: '10.96.0.20' });
  });
});
