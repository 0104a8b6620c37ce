import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, type StartedProcess, startProcess } from './process.js';

/** One etcd member started by a test; its data dir survives `kill()` so it can be restarted. */
export interface EtcdMember {
  readonly name: string;
  readonly clientUrl: string;
  readonly dataDir: string;
  pid(): number;
  /** SIGKILL (no graceful shutdown) and wait for the exit. */
  kill(): Promise<void>;
  /** Start again on the same data dir and ports. */
  restart(): Promise<void>;
  running(): boolean;
}

/** A running etcd (one member or a cluster) on 127.0.0.1, started and stopped by a test. */
export interface EtcdCluster {
  readonly endpoints: string[];
  readonly members: EtcdMember[];
  /** Peer URLs of the members the cluster started with, in the order of `members`. */
  readonly peerUrls: string[];
  /**
   * Starts a member that was added with MemberAdd (`--initial-cluster-state existing`); it joins
   * `members` (and `stop()`), but not `endpoints`. Plain-HTTP clusters only.
   */
  startJoiningMember(spec: { name: string; peerPort: number; initialCluster: string }): Promise<EtcdMember>;
  /** Stops every member by PID and removes the data dirs. */
  stop(): Promise<void>;
}

/** The member that reports itself leader, if any (plain-HTTP clusters only). */
export async function findLeader(cluster: EtcdCluster): Promise<EtcdMember | undefined> {
  for (const member of cluster.members) {
    if (!member.running()) continue;
    try {
      const res = await fetch(`${member.clientUrl}/v3/maintenance/status`, { method: 'POST', body: '{}' });
      const status = (await res.json()) as { header?: { member_id?: string }; leader?: string };
      if (status.leader && status.leader === status.header?.member_id) return member;
    } catch {
      // Not answering: not the leader.
    }
  }
  return undefined;
}

/**
 * Starts Debian's `etcd` with `size` members on free loopback ports and temp data dirs (named with
 * the test's PID). Ready when every member's /health says true.
 */
export async function startEtcd(options: { size?: number; tls?: EtcdHarnessTls } = {}): Promise<EtcdCluster> {
  const size = options.size ?? 1;
  const root = mkdtempSync(join(tmpdir(), `tugboat-etcd-${process.pid}-`));
  const tls = options.tls;
  const scheme = tls ? 'https' : 'http';
  const tlsArgs: string[] = [];
  if (tls) {
    writeFileSync(join(root, 'ca.crt'), tls.ca);
    writeFileSync(join(root, 'server.crt'), tls.serverCert);
    writeFileSync(join(root, 'server.key'), tls.serverKey, { mode: 0o600 });
    tlsArgs.push(
      `--cert-file=${join(root, 'server.crt')}`,
      `--key-file=${join(root, 'server.key')}`,
      `--trusted-ca-file=${join(root, 'ca.crt')}`,
      '--client-cert-auth',
    );
  }
  const health = (url: string) => checkHealth(url, tls);
  const specs: { name: string; client: number; peer: number; dataDir: string }[] = [];
  for (let i = 0; i < size; i++) {
    specs.push({
      name: `m${i}`,
      client: await freePort(),
      peer: await freePort(),
      dataDir: join(root, `m${i}`),
    });
  }
  const initialCluster = specs.map((s) => `${s.name}=http://127.0.0.1:${s.peer}`).join(',');
  const token = `tugboat-test-${process.pid}-${Date.now()}`;
  const members = specs.map((s) => {
    const clientUrl = `${scheme}://127.0.0.1:${s.client}`;
    return new MemberProcess(s.name, clientUrl, s.dataDir, root, health, [
      `--name=${s.name}`,
      `--data-dir=${s.dataDir}`,
      `--listen-client-urls=${clientUrl}`,
      `--advertise-client-urls=${clientUrl}`,
      `--listen-peer-urls=http://127.0.0.1:${s.peer}`,
      `--initial-advertise-peer-urls=http://127.0.0.1:${s.peer}`,
      `--initial-cluster=${initialCluster}`,
      '--initial-cluster-state=new',
      `--initial-cluster-token=${token}`,
      '--heartbeat-interval=100',
      '--election-timeout=1000',
      '--log-level=warn',
      ...tlsArgs,
    ]);
  });
  const cluster: EtcdCluster = {
    endpoints: members.map((m) => m.clientUrl),
    members,
    peerUrls: specs.map((s) => `http://127.0.0.1:${s.peer}`),
    async startJoiningMember({ name, peerPort, initialCluster }) {
      if (tls) throw new Error('startJoiningMember: plain-HTTP clusters only');
      const clientUrl = `http://127.0.0.1:${await freePort()}`;
      const peerUrl = `http://127.0.0.1:${peerPort}`;
      const dataDir = join(root, name);
      const member = new MemberProcess(name, clientUrl, dataDir, root, health, [
        `--name=${name}`,
        `--data-dir=${dataDir}`,
        `--listen-client-urls=${clientUrl}`,
        `--advertise-client-urls=${clientUrl}`,
        `--listen-peer-urls=${peerUrl}`,
        `--initial-advertise-peer-urls=${peerUrl}`,
        `--initial-cluster=${initialCluster}`,
        '--initial-cluster-state=existing',
        '--heartbeat-interval=100',
        '--election-timeout=1000',
        '--log-level=warn',
      ]);
      members.push(member);
      await member.restart();
      return member;
    },
    async stop() {
      await Promise.all(members.map((m) => m.stop()));
      rmSync(root, { recursive: true, force: true });
    },
  };
  try {
    await Promise.all(members.map((m) => m.restart()));
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      const healthy = await Promise.all(members.map((m) => health(m.clientUrl).catch(() => false)));
      if (healthy.every(Boolean)) return cluster;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error('etcd members did not become healthy within 60 s');
  } catch (err) {
    await cluster.stop();
    throw err;
  }
}

/** Members of a cluster only become healthy together, so readiness here is "answers /version". */
class MemberProcess implements EtcdMember {
  private proc: StartedProcess | undefined;

  constructor(
    readonly name: string,
    readonly clientUrl: string,
    readonly dataDir: string,
    private readonly cwd: string,
    private readonly health: (url: string) => Promise<boolean>,
    private readonly args: readonly string[],
  ) {}

  pid(): number {
    return this.proc?.pid ?? -1;
  }

  running(): boolean {
    return this.proc !== undefined;
  }

  async kill(): Promise<void> {
    const p = this.proc;
    this.proc = undefined;
    p?.child.kill('SIGKILL');
    await p?.stop();
  }

  async restart(): Promise<void> {
    this.proc = await startProcess('etcd', this.args, {
      cwd: this.cwd,
      timeoutMs: 60_000,
      ready: async () => (await this.health(this.clientUrl)) || (await this.answers()),
    });
  }

  /** A member of a cluster without quorum answers but is not healthy yet. */
  private async answers(): Promise<boolean> {
    return this.clientUrl.startsWith('https:') ? false : (await fetch(`${this.clientUrl}/version`)).ok;
  }

  async stop(): Promise<void> {
    const p = this.proc;
    this.proc = undefined;
    await p?.stop();
  }
}

/** PEM material for an etcd that serves TLS and requires client certificates. */
export interface EtcdHarnessTls {
  readonly ca: string;
  /** Server certificate with IP SAN 127.0.0.1. */
  readonly serverCert: string;
  readonly serverKey: string;
  /** Client certificate the harness itself uses for health checks. */
  readonly clientCert: string;
  readonly clientKey: string;
}

/** GET /health; over TLS with the harness's client certificate when `tls` is set. */
function checkHealth(url: string, tls: EtcdHarnessTls | undefined): Promise<boolean> {
  if (!tls) {
    return fetch(`${url}/health`).then(
      async (r) => r.ok && ((await r.json()) as { health?: string }).health === 'true',
    );
  }
  return new Promise((resolve, reject) => {
    const req = request(
      `${url}/health`,
      { ca: tls.ca, cert: tls.clientCert, key: tls.clientKey, timeout: 5_000 },
      (res) => {
        let body = '';
        res.on('data', (b: Buffer) => {
          body += b.toString();
        });
        res.on('end', () => resolve(res.statusCode === 200 && body.includes('"health":"true"')));
      },
    );
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('health check timed out')));
    req.end();
  });
}
