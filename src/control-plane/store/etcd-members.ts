import { EtcdClient, type EtcdClientOptions, type EtcdHeader, type Int64, id64, num } from './etcd-client.js';
import { mapEtcdError, withRetry } from './etcd-errors.js';

/** One member of an etcd cluster, as its Cluster API lists it. */
export interface EtcdMemberInfo {
  /** The member ID as a decimal string (a random uint64; etcdctl prints it in hex). */
  readonly id: string;
  /** Empty until an added member has started and joined. */
  readonly name: string;
  readonly peerUrls: readonly string[];
  readonly clientUrls: readonly string[];
  readonly isLearner: boolean;
}

/** What one endpoint says about itself (etcdctl endpoint health + status). */
export interface EtcdEndpointHealth {
  readonly endpoint: string;
  /** Answered a linearizable read within the call timeout (so it has a leader and a quorum). */
  readonly healthy: boolean;
  /** Why not healthy. */
  readonly error?: string;
  readonly memberId?: string;
  /** The leader this member follows (its own ID when it leads). */
  readonly leaderId?: string;
  /** Revision of its store; a joining member has caught up when it equals the others'. */
  readonly revision?: number;
  readonly raftTerm?: number;
  readonly dbSizeBytes?: number;
}

/** Options of the member helpers: endpoints of live members, TLS as for the store. */
export interface EtcdMembershipOptions extends EtcdClientOptions {
  /** Retry while etcd elects a leader or a member is down. @default 15000 */
  readonly retryTimeoutMs?: number;
}

interface RawMember {
  readonly ID: Int64;
  readonly name: string;
  readonly peerURLs: readonly string[];
  readonly clientURLs: readonly string[];
  readonly isLearner: boolean;
}

/** The cluster's members (Cluster/MemberList, linearizable). */
export async function listEtcdMembers(options: EtcdMembershipOptions): Promise<EtcdMemberInfo[]> {
  return withClient(options, 'member list', async (client) => {
    const res = await client.unary<{ members: readonly RawMember[] }>('Cluster', 'MemberList', {
      linearizable: true,
    });
    return res.members.map(toMember);
  });
}

/**
 * Health and status of every endpoint, one at a time on its own (etcdctl endpoint health does the
 * same linearizable read of the key "health"); an endpoint that does not answer is unhealthy, not
 * an error.
 */
export async function checkEtcdHealth(options: EtcdClientOptions): Promise<EtcdEndpointHealth[]> {
  const client = new EtcdClient({ callTimeoutMs: 3_000, ...options });
  try {
    return await Promise.all(
      options.endpoints.map(async (endpoint, index): Promise<EtcdEndpointHealth> => {
        try {
          const status = await client.unary<{
            header: EtcdHeader;
            leader: Int64;
            dbSize: Int64;
            raftTerm: Int64;
          }>('Maintenance', 'Status', {}, index);
          await client.unary('KV', 'Range', { key: Buffer.from('health'), count_only: true }, index);
          return {
            endpoint,
            healthy: true,
            memberId: id64(status.header.member_id),
            leaderId: id64(status.leader),
            revision: num(status.header.revision),
            raftTerm: num(status.raftTerm),
            dbSizeBytes: num(status.dbSize),
          };
        } catch (err) {
          return { endpoint, healthy: false, error: (err as Error).message.split('\n')[0]! };
        }
      }),
    );
  } finally {
    client.close();
  }
}

/** The result of {@link addEtcdMember}: what the new member needs to start. */
export interface AddedEtcdMember {
  readonly member: EtcdMemberInfo;
  /**
   * `--initial-cluster` for the new member (`name=peerURL,...` of every member, the new one under
   * `name`); start it with `--initial-cluster-state existing`.
   */
  readonly initialCluster: string;
}

/**
 * Adds a member by its peer URL (Cluster/MemberAdd); it counts towards the quorum from now on, so
 * start it soon. A retried add that finds its peer URL already registered returns that member.
 */
export async function addEtcdMember(
  options: EtcdMembershipOptions,
  name: string,
  peerUrls: readonly string[],
): Promise<AddedEtcdMember> {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name))
    throw new Error(`etcd member name ${JSON.stringify(name)} must be letters, digits, '.', '_' or '-'`);
  if (peerUrls.length === 0)
    throw new Error(`etcd member ${name} needs a peer URL, e.g. https://10.0.0.5:2380`);
  return withClient(options, `member add ${name}`, async (client, retry) => {
    let added: RawMember;
    let members: readonly RawMember[];
    try {
      const res = await client.unary<{ member: RawMember; members: readonly RawMember[] }>(
        'Cluster',
        'MemberAdd',
        { peerURLs: [...peerUrls], isLearner: false },
      );
      added = res.member;
      members = res.members;
    } catch (err) {
      if (!retry || !/Peer URLs already exists/i.test((err as Error).message)) throw err;
      members = (await client.unary<{ members: readonly RawMember[] }>('Cluster', 'MemberList', {})).members;
      const existing = members.find((m) => m.peerURLs.some((u) => peerUrls.includes(u)));
      if (!existing) throw err;
      added = existing;
    }
    const addedId = id64(added.ID);
    const initialCluster = members
      .flatMap((m) => {
        const memberName = id64(m.ID) === addedId ? name : m.name;
        // A member added earlier that never started has no name yet and cannot be listed here.
        return memberName ? m.peerURLs.map((u) => `${memberName}=${u}`) : [];
      })
      .join(',');
    return { member: toMember(added), initialCluster };
  });
}

/**
 * Removes a member by ID (Cluster/MemberRemove). Removing one that is already gone succeeds when it
 * is a retry of this call (the first attempt was applied); otherwise it fails "member not found".
 */
export async function removeEtcdMember(options: EtcdMembershipOptions, id: string): Promise<void> {
  if (!/^[0-9]+$/.test(id)) throw new Error(`etcd member ID ${JSON.stringify(id)} must be a decimal number`);
  await withClient(options, `member remove ${id}`, async (client, retry) => {
    try {
      await client.unary('Cluster', 'MemberRemove', { ID: id });
    } catch (err) {
      if (retry && /member not found/i.test((err as Error).message)) return;
      throw err;
    }
  });
}

async function withClient<T>(
  options: EtcdMembershipOptions,
  what: string,
  fn: (client: EtcdClient, retry: boolean) => Promise<T>,
): Promise<T> {
  const client = new EtcdClient(options);
  try {
    return await withRetry({ timeoutMs: options.retryTimeoutMs ?? 15_000 }, (retry) => fn(client, retry));
  } catch (err) {
    throw mapEtcdError(err, `etcd ${what}`);
  } finally {
    client.close();
  }
}

function toMember(m: RawMember): EtcdMemberInfo {
  return {
    id: id64(m.ID),
    name: m.name,
    peerUrls: [...m.peerURLs],
    clientUrls: [...m.clientURLs],
    isLearner: m.isLearner,
  };
}
