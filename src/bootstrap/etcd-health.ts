import { quorumOf } from '../config/masters.js';
import type { RemoteShell } from '../ssh/remote-shell.js';
import {
  answerJson,
  type EtcdHostCall,
  type EtcdHostCallOptions,
  runEtcdHostCalls,
} from './etcd-host-calls.js';
import { DEFAULT_ETCD_PORTS, type EtcdMember, etcdClientUrls } from './etcd-install.js';

/** One etcd member as seen from a master: registered (etcd's member list), expected (a master), or both. */
export interface EtcdMemberState {
  /** The master's name; for a member only etcd knows, its registered name ('' when added and never started). */
  readonly name: string;
  /** Member ID (decimal), when registered. */
  readonly id?: string;
  readonly clientUrl?: string;
  readonly peerUrls: readonly string[];
  /** One of the masters given to {@link etcdClusterHealth}. */
  readonly expected: boolean;
  /** In etcd's member list (false too when no member could list them). */
  readonly registered: boolean;
  /** Registered and started at least once (etcd lists client URLs only for members that published them). */
  readonly started: boolean;
  /** Answered over TLS at all. */
  readonly reachable: boolean;
  /** `/health` says true: up, with a leader, and a linearizable read went through. */
  readonly healthy: boolean;
  readonly isLeader: boolean;
  /** Its store's revision: a joining member has caught up when it reaches the others'. */
  readonly revision?: number;
  /** Why not healthy. */
  readonly error?: string;
}

/** etcd as a whole, from one master. */
export interface EtcdClusterHealth {
  readonly members: readonly EtcdMemberState[];
  /** Registered members (or the expected ones when no member could list them). */
  readonly size: number;
  readonly healthyCount: number;
  /** A member completed a linearizable read, so a majority is up and writes go through. */
  readonly quorum: boolean;
  /** Quorum, every registered member healthy, every expected master registered. */
  readonly healthy: boolean;
  /** Names (or client URLs) of registered or expected members that are not healthy. */
  readonly down: readonly string[];
  /** One line for people: `3/3 members healthy` or what is wrong. */
  readonly summary: string;
}

interface RawStatus {
  readonly header?: { readonly member_id?: string; readonly revision?: string };
  readonly leader?: string;
}
interface RawMember {
  readonly ID: string;
  readonly name?: string;
  readonly peerURLs?: readonly string[];
  readonly clientURLs?: readonly string[];
}

/** What one member answered to `/health` and `/v3/maintenance/status`. */
export interface EtcdProbe {
  readonly clientUrl: string;
  readonly healthy: boolean;
  readonly reachable: boolean;
  readonly memberId?: string;
  readonly leaderId?: string;
  readonly revision?: number;
  readonly error?: string;
}

/** Options for {@link etcdClusterHealth}. */
export interface EtcdClusterHealthOptions extends EtcdHostCallOptions {
  /** The masters' members as bootstrap knows them (name, private address). */
  readonly members: readonly EtcdMember[];
  /** @default DEFAULT_ETCD_PORTS */
  readonly ports?: { readonly client: number };
}

/**
 * How healthy the cluster's etcd is, asked from one master (`shell`; the client port is open to
 * the masters only) with its member certificate: every expected member's `/health` and status,
 * the member list from one that answers, and any registered member that is not one of `members`.
 * Never throws for an etcd that is down: that is the answer. Used by bootstrap (replacing a
 * member) and by the upgrade (one master at a time, etcd healthy between).
 */
export async function etcdClusterHealth(
  shell: RemoteShell,
  options: EtcdClusterHealthOptions,
): Promise<EtcdClusterHealth> {
  const urls = etcdClientUrls(options.members, options.ports ?? DEFAULT_ETCD_PORTS);
  const probes = await probeEtcdMembers(shell, urls, options);
  const lister = probes.find((p) => p.reachable);
  let registered: RawMember[] | undefined;
  if (lister) {
    const call = { url: `${lister.clientUrl}/v3/cluster/member/list`, body: {} };
    const [answer] = await runEtcdHostCalls(shell, [call], options);
    try {
      registered = [...(answerJson<{ members?: RawMember[] }>(call, answer!).members ?? [])];
    } catch {
      registered = undefined;
    }
  }
  const others = (registered ?? [])
    .map((m) => m.clientURLs?.[0])
    .filter((u): u is string => Boolean(u) && !urls.includes(u!));
  const extra = await probeEtcdMembers(shell, others, options);
  return summarizeEtcdHealth(options.members, urls, [...probes, ...extra], registered);
}

/** `/health` and `/v3/maintenance/status` of each client URL, in one round trip. */
export async function probeEtcdMembers(
  shell: RemoteShell,
  clientUrls: readonly string[],
  options: EtcdHostCallOptions,
): Promise<EtcdProbe[]> {
  const calls: EtcdHostCall[] = clientUrls.flatMap((u) => [
    { url: `${u}/health` },
    { url: `${u}/v3/maintenance/status`, body: {} },
  ]);
  const answers = await runEtcdHostCalls(shell, calls, options);
  return clientUrls.map((clientUrl, i) => {
    const healthAnswer = answers[2 * i]!;
    const statusAnswer = answers[2 * i + 1]!;
    let status: RawStatus | undefined;
    let error: string | undefined;
    try {
      status = answerJson<RawStatus>(calls[2 * i + 1]!, statusAnswer);
    } catch (err) {
      error = (err as Error).message;
    }
    let healthy = false;
    try {
      const body = answerJson<{ health?: string; reason?: string }>(calls[2 * i]!, healthAnswer);
      healthy = body.health === 'true';
      if (!healthy) error ??= `not healthy${body.reason ? ` (${body.reason})` : ''}: no leader or no quorum`;
    } catch (err) {
      error ??= (err as Error).message;
    }
    const reachable = !('error' in healthAnswer) || !('error' in statusAnswer);
    return {
      clientUrl,
      healthy,
      reachable,
      ...(status?.header?.member_id ? { memberId: status.header.member_id } : {}),
      ...(status?.leader && status.leader !== '0' ? { leaderId: status.leader } : {}),
      ...(status?.header?.revision ? { revision: Number(status.header.revision) } : {}),
      ...(healthy || !error ? {} : { error }),
    };
  });
}

/** Joins what the members answered with the member list and judges the whole. Pure. */
export function summarizeEtcdHealth(
  expected: readonly EtcdMember[],
  expectedUrls: readonly string[],
  probes: readonly EtcdProbe[],
  registered: readonly RawMember[] | undefined,
): EtcdClusterHealth {
  const probeOf = (url: string | undefined) => probes.find((p) => p.clientUrl === url);
  const leaders = new Set(probes.filter((p) => p.healthy && p.leaderId).map((p) => p.leaderId));
  const state = (
    name: string,
    clientUrl: string | undefined,
    reg: RawMember | undefined,
    isExpected: boolean,
  ): EtcdMemberState => {
    const probe = probeOf(clientUrl);
    return {
      name,
      ...(reg ? { id: reg.ID } : probe?.memberId ? { id: probe.memberId } : {}),
      ...(clientUrl ? { clientUrl } : {}),
      peerUrls: reg?.peerURLs ?? [],
      expected: isExpected,
      registered: Boolean(reg),
      started: (reg?.clientURLs?.length ?? 0) > 0,
      reachable: probe?.reachable ?? false,
      healthy: probe?.healthy ?? false,
      isLeader: Boolean(reg && leaders.has(reg.ID)),
      ...(probe?.revision !== undefined ? { revision: probe.revision } : {}),
      ...(probe?.healthy ? {} : { error: probe?.error ?? 'no client URL: added but never started' }),
    };
  };
  const members: EtcdMemberState[] = expected.map((m, i) => {
    const url = expectedUrls[i];
    const reg = registered?.find((r) => r.name === m.name || (url && r.clientURLs?.includes(url)));
    return state(m.name, url, reg, true);
  });
  // etcd lists members by ID (random): the others go by name, so every answer has one order.
  const byName = [...(registered ?? [])].sort((a, b) => (a.name ?? '').localeCompare(b.name ?? ''));
  for (const reg of byName) {
    if (members.some((m) => m.id === reg.ID)) continue;
    members.push(state(reg.name ?? '', reg.clientURLs?.[0], reg, false));
  }
  const counted = registered ? members.filter((m) => m.registered) : members;
  const healthyCount = counted.filter((m) => m.healthy).length;
  const quorum = members.some((m) => m.healthy);
  const down = members
    .filter((m) => !m.healthy && (m.registered || m.expected))
    .map((m) => m.name || m.clientUrl || m.peerUrls[0] || `member ${m.id}`);
  const unregistered = registered ? members.filter((m) => m.expected && !m.registered) : [];
  const healthy = quorum && down.length === 0 && unregistered.length === 0;
  const size = counted.length;
  const summary = healthy
    ? `${healthyCount}/${size} etcd members healthy`
    : quorum
      ? `etcd has quorum (${healthyCount}/${size} healthy, ${quorumOf(size)} needed); down: ${down.join(', ') || 'none'}${unregistered.length ? `; not members: ${unregistered.map((m) => m.name).join(', ')}` : ''}`
      : `etcd has lost quorum: ${healthyCount}/${size} members healthy, ${quorumOf(size)} needed to write; down: ${down.join(', ')}`;
  return { members, size, healthyCount, quorum, healthy, down, summary };
}

/**
 * What keeps etcd from being healthy for a roll, or undefined: every expected member registered
 * and healthy, and every other registered member healthy. `except` names a member left out (the
 * master about to be reinstalled: the others must be healthy so that taking it down keeps
 * quorum). Pure.
 */
export function etcdHealthProblem(health: EtcdClusterHealth, except?: string): string | undefined {
  const problems: string[] = [];
  const counted = health.members.filter((m) => !(m.expected && m.name === except));
  if (!health.members.some((m) => m.registered) && counted.length > 0)
    problems.push('no member answered the member list');
  for (const m of counted) {
    if (m.healthy) continue;
    if (m.expected && !m.registered && health.members.some((x) => x.registered))
      problems.push(`member ${m.name} is not in the member list`);
    else if (m.registered || m.expected)
      problems.push(
        `member ${m.name || '(unstarted)'}${m.clientUrl ? ` ${m.clientUrl}` : ''} is not healthy: ${m.error ?? 'no answer'}`,
      );
  }
  return problems.length > 0 ? `etcd: ${problems.join('; ')}` : undefined;
}
