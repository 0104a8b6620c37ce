/**
 * A throw-away "node" for service-proxy tests, made only of network namespaces this test creates:
 * a node namespace with routed veth "pods" (each its own namespace, /32 address, an HTTP and a TCP
 * line server answering with the pod's name) and an outside client on 192.168.77.0/24. Nothing is
 * created in the caller's namespace; `destroy()` kills the servers by PID and deletes the namespaces.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';

/** One pod of the lab. */
export interface LabPod {
  readonly name: string;
  readonly ip: string;
  readonly netns: string;
}

/**
 * Script run in each pod: HTTP on 8080 (the pod name; `/ip`: the client's address as the pod sees
 * it), a line server on TCP 9000 and a datagram echo on UDP 5300, all answering with the pod name.
 */
const SERVER = `
const http = require('node:http'); const net = require('node:net'); const name = process.argv[1];
http.createServer((q, s) => s.end(q.url === '/ip' ? q.socket.remoteAddress : name)).listen(8080, '0.0.0.0');
const udp = require('node:dgram').createSocket('udp4');
udp.on('message', (m, r) => udp.send(name, r.port, r.address)); udp.bind(5300, '0.0.0.0');
net.createServer((c) => { c.setEncoding('utf8'); c.on('data', () => c.write(name + '\\n')); c.on('error', () => {}); })
  .listen(9000, '0.0.0.0', () => console.log('ready'));
`;

/** Script of a client: N HTTP GETs to a URL, each on a fresh connection; prints the answers as JSON. */
const CLIENT = `
const [url, n] = process.argv.slice(1); const out = [];
(async () => { for (let i = 0; i < Number(n); i++) {
  try { const r = await fetch(url, { signal: AbortSignal.timeout(3000), headers: { connection: 'close' } }); out.push(await r.text()); }
  catch (e) { out.push('error:' + (e.cause?.code ?? e.name)); } }
  console.log(JSON.stringify(out)); })();
`;

/** Script of a UDP client: one datagram from a fixed source port; prints the answer or `timeout`. */
const UDP_CLIENT = `
const [host, port, src] = process.argv.slice(1); const s = require('node:dgram').createSocket('udp4');
const t = setTimeout(() => { console.log('timeout'); s.close(); }, 1500);
s.on('message', (m) => { clearTimeout(t); console.log(m.toString()); s.close(); });
s.bind(Number(src), () => s.send('ping', Number(port), host));
`;

/** Script of a long-lived client: connects, sends a line per stdin line, prints each answer. */
const LINGER = `
const net = require('node:net'); const [host, port] = process.argv.slice(1);
const s = net.connect(Number(port), host); s.setEncoding('utf8');
s.on('data', (d) => process.stdout.write(d)); s.on('error', (e) => { console.log('error:' + e.code); process.exit(1); });
s.on('connect', () => s.write('hello\\n'));
process.stdin.on('data', () => s.write('again\\n'));
`;

export class NetnsLab {
  readonly node: string;
  readonly client: string;
  readonly pods: LabPod[] = [];
  private readonly servers: ChildProcess[] = [];
  private readonly created: string[] = [];

  constructor(private readonly tag: string) {
    this.node = `tbsp-${process.pid}-${tag}-n`;
    this.client = `tbsp-${process.pid}-${tag}-c`;
  }

  private addNetns(name: string): void {
    execFileSync('ip', ['netns', 'add', name]);
    this.created.push(name);
    ip(name, 'link', 'set', 'lo', 'up');
  }

  /** Creates the node and client namespaces and `podCount` pods with 10.244.1.2, .3, … */
  async create(podCount: number): Promise<void> {
    this.addNetns(this.node);
    execFileSync('ip', ['netns', 'exec', this.node, 'sysctl', '-qw', 'net.ipv4.ip_forward=1']);
    this.addNetns(this.client);
    ip(this.node, 'link', 'add', 'vc', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', this.client);
    ip(this.node, 'addr', 'add', '192.168.77.1/24', 'dev', 'vc');
    ip(this.node, 'link', 'set', 'vc', 'up');
    ip(this.client, 'addr', 'add', '192.168.77.2/24', 'dev', 'eth0');
    ip(this.client, 'link', 'set', 'eth0', 'up');
    ip(this.client, 'route', 'add', 'default', 'via', '192.168.77.1');
    // A node has a default route on a real host; without one, cluster IPs are unroutable before NAT.
    ip(this.node, 'route', 'add', 'default', 'via', '192.168.77.2');
    const ready: Promise<void>[] = [];
    for (let i = 0; i < podCount; i++) {
      const pod = {
        name: `pod-${i + 1}`,
        ip: `10.244.1.${i + 2}`,
        netns: `tbsp-${process.pid}-${this.tag}-p${i}`,
      };
      this.addNetns(pod.netns);
      const veth = `vp${i}`;
      ip(this.node, 'link', 'add', veth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', pod.netns);
      ip(this.node, 'addr', 'add', '10.244.1.1/32', 'dev', veth);
      ip(this.node, 'link', 'set', veth, 'up');
      ip(this.node, 'route', 'add', `${pod.ip}/32`, 'dev', veth);
      ip(pod.netns, 'addr', 'add', `${pod.ip}/32`, 'dev', 'eth0');
      ip(pod.netns, 'link', 'set', 'eth0', 'up');
      ip(pod.netns, 'route', 'add', '10.244.1.1', 'dev', 'eth0');
      ip(pod.netns, 'route', 'add', 'default', 'via', '10.244.1.1');
      const server = spawn(
        'nsenter',
        [`--net=/run/netns/${pod.netns}`, process.execPath, '-e', SERVER, pod.name],
        {
          stdio: ['ignore', 'pipe', 'inherit'],
        },
      );
      this.servers.push(server);
      ready.push(
        new Promise((resolve, reject) => {
          server.stdout?.once('data', () => resolve());
          server.once('exit', (code) =>
            reject(new Error(`server of ${pod.name} exited with ${String(code)}`)),
          );
        }),
      );
      this.pods.push(pod);
    }
    await Promise.all(ready);
  }

  /** `n` HTTP GETs of `url` from inside `netns`; the answers (pod names, or `error:CODE`). */
  fetchFrom(netns: string, url: string, n: number): Promise<string[]> {
    return new Promise((resolve, reject) => {
      const child = spawn(
        'nsenter',
        [`--net=/run/netns/${netns}`, process.execPath, '-e', CLIENT, url, String(n)],
        {
          stdio: ['ignore', 'pipe', 'inherit'],
        },
      );
      let out = '';
      child.stdout.on('data', (b: Buffer) => {
        out += b.toString();
      });
      child.on('close', () => {
        try {
          resolve(JSON.parse(out) as string[]);
        } catch {
          reject(new Error(`client printed ${JSON.stringify(out)}`));
        }
      });
    });
  }

  /** One UDP datagram from `netns`, sent from source port `srcPort`; the answer or `timeout`. */
  udpFrom(netns: string, host: string, port: number, srcPort: number): string {
    return execFileSync(
      'nsenter',
      [`--net=/run/netns/${netns}`, process.execPath, '-e', UDP_CLIENT, host, String(port), String(srcPort)],
      { encoding: 'utf8', timeout: 10_000 },
    ).trim();
  }

  /** A long-lived TCP connection from `netns`; `next()` sends a line and resolves with the answer. */
  linger(netns: string, host: string, port: number): { next(): Promise<string>; close(): void } {
    const child = spawn(
      'nsenter',
      [`--net=/run/netns/${netns}`, process.execPath, '-e', LINGER, host, String(port)],
      {
        stdio: ['pipe', 'pipe', 'inherit'],
      },
    );
    this.servers.push(child);
    const lines: string[] = [];
    let waiter: ((line: string) => void) | undefined;
    let buf = '';
    child.stdout?.on('data', (b: Buffer) => {
      buf += b.toString();
      for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
        lines.push(buf.slice(0, i));
        buf = buf.slice(i + 1);
      }
      if (waiter && lines.length) waiter(lines.shift() ?? '');
    });
    let sent = 0;
    return {
      next: () =>
        new Promise<string>((resolve, reject) => {
          const timer = setTimeout(
            () => reject(new Error('no answer on the long-lived connection in 5 s')),
            5000,
          );
          if (sent++ > 0) child.stdin?.write('go\n');
          const take = (line: string) => {
            clearTimeout(timer);
            waiter = undefined;
            resolve(line);
          };
          if (lines.length) take(lines.shift() ?? '');
          else waiter = take;
        }),
      close: () => child.kill('SIGKILL'),
    };
  }

  /** Runs a command inside the node namespace and returns its output. */
  inNode(...argv: string[]): string {
    return execFileSync('nsenter', [`--net=/run/netns/${this.node}`, ...argv], { encoding: 'utf8' });
  }

  /** Kills what the lab started (by PID) and deletes its namespaces, veths going with them. */
  async destroy(): Promise<void> {
    const exits = this.servers.map(
      (s) =>
        new Promise<void>((resolve) =>
          s.exitCode !== null || s.signalCode !== null ? resolve() : s.once('exit', () => resolve()),
        ),
    );
    for (const s of this.servers) s.kill('SIGKILL');
    await Promise.all(exits);
    for (const ns of this.created.reverse()) execFileSync('ip', ['netns', 'del', ns]);
  }
}

function ip(netns: string, ...args: string[]): void {
  execFileSync('ip', ['-n', netns, ...args]);
}
