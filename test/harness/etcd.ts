import { mkdtempSync, rmSync } from 'node:fs';
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
  /** Stops every member by PID and removes the data dirs. */
  stop(): Promise<void>;
}

/** @returns the member whose /health answers and which reports itself leader, if any. */
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
export async function startEtcd(options: { size?: number } = {}): Promise<EtcdCluster> {
  const size = options.size ?? 1;
  const root = mkdtempSync(join(tmpdir(), `tugboat-etcd-${process.pid}-`));
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
    const clientUrl = `http://127.0.0.1:${s.client}`;
    return new MemberProcess(s.name, clientUrl, s.dataDir, root, [
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
    ]);
  });
  const cluster: EtcdCluster = {
    endpoints: members.map((m) => m.clientUrl),
    members,
    async stop() {
      await Promise.all(members.map((m) => m.stop()));
      rmSync(root, { recursive: true, force: true });
    },
  };
  try {
    await Promise.all(members.map((m) => m.restart()));
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      const healthy = await Promise.all(
        members.map((m) =>
          fetch(`${m.clientUrl}/health`)
            .then(async (r) => r.ok && ((await r.json()) as { health?: string }).health === 'true')
            .catch(() => false),
        ),
      );
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
      ready: async () => (await fetch(`${this.clientUrl}/version`)).ok,
    });
  }

  async stop(): Promise<void> {
    const p = this.proc;
    this.proc = undefined;
    await p?.stop();
  }
}
