import { quorumOf } from '../config/masters.js';
import { TugboatError } from '../errors.js';
import { type EventSink, silentEvents } from '../events.js';
import { sh } from '../ssh/quote.js';
import type { RemoteShell } from '../ssh/remote-shell.js';
import { sleep } from '../timing.js';
import { type EtcdClusterHealth, type EtcdMemberState, etcdClusterHealth } from './etcd-health.js';
import { answerJson, type EtcdHostCallOptions, runEtcdHostCalls } from './etcd-host-calls.js';
import { DEFAULT_ETCD_PORTS, type EtcdInitialFlags, type EtcdMember, etcdPaths } from './etcd-install.js';
import type { HostLayout } from './layout.js';

/** What a master's disk says about its etcd member. */
export interface EtcdMemberDisk {
  /** The data directory holds a member (`member/`): etcd ignores the initial-cluster flags. */
  readonly hasData: boolean;
  /** The flags it was first started with, when bootstrap recorded them. */
  readonly recorded?: EtcdInitialFlags;
}

/** Reads whether the member has data and the initial flags recorded for it. One command. */
export async function readEtcdMemberDisk(shell: RemoteShell, layout: HostLayout): Promise<EtcdMemberDisk> {
  const p = etcdPaths(layout);
  const result = await shell.exec(
    sh`if [ -d ${`${p.dataDir}/member`} ]; then echo data; else echo empty; fi; cat ${p.initialFlags} 2>/dev/null || true`,
    { timeoutMs: 30_000 },
  );
  const [first, ...rest] = result.stdout.split('\n');
  let recorded: EtcdInitialFlags | undefined;
  try {
    const parsed = JSON.parse(rest.join('\n')) as Partial<EtcdInitialFlags>;
    if ((parsed.state === 'new' || parsed.state === 'existing') && typeof parsed.cluster === 'string')
      recorded = { state: parsed.state, cluster: parsed.cluster };
  } catch {
    // No record (a member installed before records were kept): the default flags are what it has.
  }
  return { hasData: first?.trim() === 'data', ...(recorded ? { recorded } : {}) };
}

/** What a master without etcd data does: form the cluster with the others, or join the running one. */
export type EtcdJoinPlan =
  | { readonly kind: 'form' }
  | {
      readonly kind: 'join';
      /** Dead members to remove first, in order. */
      readonly remove: readonly EtcdMemberState[];
      /** A member already added for this peer URL (an earlier run stopped before starting it). */
      readonly reuse?: EtcdMemberState;
    };

const peerUrlOf = (m: EtcdMember, peerPort: number) =>
  `https://${m.address.includes(':') ? `[${m.address}]` : m.address}:${peerPort}`;

/**
 * Decides, for a master whose etcd data directory is empty, what to do. Pure.
 *
 * - No member healthy: nothing is running to join (a new cluster, or one that lost quorum, which
 *   a member without data cannot fix): form, as the first run does.
 * - A registered member with this master's name or peer URL that never started (no client URL):
 *   the cluster was formed with it and it starts late: form (state `new`, same flags).
 * - Otherwise join: dead members are removed first — this master's old identity (same name or
 *   peer URL, started before, not healthy now) and any member that is no master (neither name nor
 *   peer URL of one) and does not answer at all. A healthy member is never removed, and nothing
 *   is removed or added when the started members would then be fewer than a majority.
 */
export function planEtcdJoin(
  self: EtcdMember,
  masters: readonly EtcdMember[],
  health: EtcdClusterHealth,
  peerPort: number = DEFAULT_ETCD_PORTS.peer,
): EtcdJoinPlan {
  if (!health.quorum) return { kind: 'form' };
  const selfPeer = peerUrlOf(self, peerPort);
  const masterPeers = new Set(masters.map((m) => peerUrlOf(m, peerPort)));
  const registered = health.members.filter((m) => m.registered);
  const own = registered.filter((m) => m.name === self.name || m.peerUrls.includes(selfPeer));
  const unstarted = own.find((m) => !m.started);
  if (unstarted?.name === self.name) return { kind: 'form' };
  const alive = own.find((m) => m.healthy);
  if (alive)
    throw new TugboatError(
      'ETCD_MEMBER_CONFLICT',
      `etcd member ${alive.name || alive.id} (${alive.peerUrls.join(', ')}) is healthy, but ${self.name} has no etcd data: stop ${alive.name || 'that member'}'s etcd before replacing it, or give ${self.name} another name and address`,
      { exitCode: 4 },
    );
  const replaced = registered.filter(
    (m) => !m.expected && !m.reachable && !m.peerUrls.some((u) => masterPeers.has(u)) && !own.includes(m),
  );
  const remove = [...own.filter((m) => m !== unstarted), ...replaced];
  let size = registered.length;
  const started = health.healthyCount;
  for (const m of remove) {
    if (started < quorumOf(size - 1))
      throw lostQuorum(`removing member ${m.name || m.id}`, size - 1, started);
    size -= 1;
  }
  if (!unstarted && started < quorumOf(size + 1)) throw lostQuorum(`adding ${self.name}`, size + 1, started);
  return { kind: 'join', remove, ...(unstarted ? { reuse: unstarted } : {}) };
}

function lostQuorum(what: string, size: number, started: number): TugboatError {
  return new TugboatError(
    'ETCD_QUORUM',
    `${what} would leave ${size} etcd members with ${started} healthy, fewer than the ${quorumOf(size)} a majority needs: bring the down members back first (tugboat status shows them), see docs/ha-masters.md#lost-quorum`,
    { exitCode: 4 },
  );
}

/**
 * A master without etcd data that may only join (a replacement booting by itself) found no quorum
 * to join: forming a new cluster there would split the cluster's data, so it stops and points to
 * the documented recovery.
 */
export function etcdNoQuorumToJoin(self: string, summary: string): TugboatError {
  return new TugboatError(
    'ETCD_QUORUM',
    `${self} has no etcd data and cannot join: ${summary}. A replaced master never forms a new etcd cluster. If the down members' hosts still have their data, bring them back (tugboat bootstrap NAME restarts them) and this master joins at its next boot; if a majority lost its data, restore from the latest backup: see docs/ha-masters.md#lost-quorum`,
    { exitCode: 4 },
  );
}

/**
 * A master that may only join found its own member registered and never started: the cluster is
 * being formed with it (by `tugboat create` / `tugboat bootstrap`), which starts it; not a failure.
 */
export function etcdBeingFormed(self: string): TugboatError {
  return new TugboatError(
    'ETCD_BEING_FORMED',
    `${self} is a member of the etcd cluster being formed and its member has not started yet: tugboat bootstrap, which is forming the cluster, starts it and installs this master`,
  );
}

/** Options for {@link joinEtcdCluster}. */
export interface EtcdJoinOptions extends EtcdHostCallOptions {
  /** This master's member. */
  readonly self: EtcdMember;
  /** Every master's member, this one included. */
  readonly members: readonly EtcdMember[];
  /** @default DEFAULT_ETCD_PORTS */
  readonly ports?: { readonly client: number; readonly peer: number };
  readonly events?: EventSink;
  /** How long a membership change etcd refuses as not yet safe is retried. @default 60000 */
  readonly settleTimeoutMs?: number;
  /**
   * A replacement that must join a running cluster and never form one (a master booting from
   * user-data): no quorum among the others is then an `ETCD_QUORUM` error naming the recovery,
   * not a new cluster. @default false (bootstrap forms the cluster on its first run)
   */
  readonly joinOnly?: boolean;
  /**
   * With `joinOnly`, how long no quorum is waited out before it is reported: an election (the
   * leader just died) or members restarting are seconds without one. @default 60000
   */
  readonly quorumWaitMs?: number;
}

/** etcd's answers to a membership change that is safe again a moment later. */
const TRANSIENT = /unhealthy cluster|not enough started members|leader changed|too many requests|no leader/i;

interface RawMember {
  readonly ID: string;
  readonly name?: string;
  readonly peerURLs?: readonly string[];
}

/**
 * For a master without etcd data: asks the other members (from this master) whether a cluster
 * runs; if so removes the dead members and adds this one through a healthy member's API, and
 * returns the flags to start it with (`existing`). Returns undefined when the cluster is being
 * formed (start with the default `new` flags).
 */
export async function joinEtcdCluster(
  shell: RemoteShell,
  options: EtcdJoinOptions,
): Promise<EtcdInitialFlags | undefined> {
  const ports = options.ports ?? DEFAULT_ETCD_PORTS;
  const events = options.events ?? silentEvents;
  let health = await etcdClusterHealth(shell, { ...options, ports });
  if (options.joinOnly && !health.quorum) {
    events.emit({
      code: 'etcd.no-quorum-yet',
      level: 'warn',
      message: `${options.self.name}: ${health.summary}; waiting up to ${options.quorumWaitMs ?? 60_000} ms for a quorum to join`,
      data: { host: options.self.name, down: health.down },
    });
    const deadline = Date.now() + (options.quorumWaitMs ?? 60_000);
    while (!health.quorum && Date.now() + 2_000 <= deadline) {
      await sleep(2_000);
      health = await etcdClusterHealth(shell, { ...options, ports });
    }
    if (!health.quorum) throw etcdNoQuorumToJoin(options.self.name, health.summary);
  }
  const plan = planEtcdJoin(options.self, options.members, health, ports.peer);
  if (plan.kind === 'form') {
    // Registered under its own name and never started: bootstrap is forming the cluster with this
    // master right now and starts its member itself. A boot starting it too would race it.
    if (options.joinOnly) throw etcdBeingFormed(options.self.name);
    return undefined;
  }
  const via = health.members.filter((m) => m.healthy && m.clientUrl).map((m) => m.clientUrl!);
  // etcd refuses a membership change until its leader has seen enough members connected for 5 s
  // ("unhealthy cluster"): a member restarted a moment ago counts only then. Retried, bounded.
  const call = async <T>(path: string, body: unknown, accept?: RegExp): Promise<T | undefined> => {
    const deadline = Date.now() + (options.settleTimeoutMs ?? 60_000);
    for (;;) {
      try {
        return await callOnce<T>(path, body, accept);
      } catch (err) {
        if (!TRANSIENT.test((err as Error).message) || Date.now() + 1_000 > deadline) throw err;
        await sleep(1_000);
      }
    }
  };
  const callOnce = async <T>(path: string, body: unknown, accept?: RegExp): Promise<T | undefined> => {
    let last: Error | undefined;
    for (const url of via) {
      const c = { url: `${url}${path}`, body };
      const [answer] = await runEtcdHostCalls(shell, [c], { ...options, timeoutMs: 10_000 });
      try {
        return answerJson<T>(c, answer!);
      } catch (err) {
        last = err as Error;
        if (accept?.test(last.message)) return undefined;
        if (!('error' in answer!)) throw last;
      }
    }
    throw last ?? new Error('no healthy etcd member to ask');
  };
  for (const m of plan.remove) {
    await call('/v3/cluster/member/remove', { ID: m.id }, /member not found/i);
    events.emit({
      code: 'etcd.member-removed',
      level: 'info',
      message: `${options.self.name}: removed dead etcd member ${m.name || m.id} (${m.peerUrls.join(', ')})`,
      data: { host: options.self.name, member: m.name, id: m.id },
    });
  }
  const selfPeer = peerUrlOf(options.self, ports.peer);
  let members: readonly RawMember[] | undefined;
  let addedId = plan.reuse?.id;
  if (!plan.reuse) {
    const added = await call<{ member: RawMember; members: RawMember[] }>(
      '/v3/cluster/member/add',
      { peerURLs: [selfPeer] },
      /Peer URLs already exists/i,
    );
    members = added?.members;
    addedId = added?.member.ID;
  }
  if (!members || !addedId) {
    const list = await call<{ members: RawMember[] }>('/v3/cluster/member/list', {});
    members = list?.members ?? [];
    addedId ??= members.find((m) => m.peerURLs?.includes(selfPeer))?.ID;
  }
  events.emit({
    code: 'etcd.member-added',
    level: 'info',
    message: `${options.self.name}: added as etcd member ${addedId} (${selfPeer}); starting it to sync from the others`,
    data: { host: options.self.name, id: addedId },
  });
  const cluster = members
    .flatMap((m) => {
      const name = m.ID === addedId ? options.self.name : m.name;
      return name ? (m.peerURLs ?? []).map((u) => `${name}=${u}`) : [];
    })
    .join(',');
  return { state: 'existing', cluster };
}
