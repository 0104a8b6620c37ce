import { EtcdClient, type EtcdClientOptions, type Int64, id64 } from './etcd-client.js';
import { checkEtcdHealth, type EtcdEndpointHealth } from './etcd-members.js';
import type { StoreReadiness } from './types.js';

/** Where the recovery from a lost quorum is written down (shown with every lost-quorum report). */
export const LOST_QUORUM_RECOVERY =
  'recover: start the down members again (`tugboat bootstrap NAME` restarts them and keeps their data); ' +
  'if a majority of the masters lost their etcd data, restore from the latest backup: docs/ha-masters.md#lost-quorum';

interface RawMember {
  readonly ID: Int64;
  readonly name: string;
  readonly clientURLs: readonly string[];
}

const majority = (n: number) => Math.floor(n / 2) + 1;

/** Per etcd call: a silent member costs at most two of these (status, then the read), all in parallel. */
const CALL_TIMEOUT_MS = 1_500;

/**
 * The store's readiness check on etcd (`/readyz`'s `etcd` line): every endpoint's status and a
 * linearizable read (as `etcdctl endpoint health`), and the member names from the first member
 * that answers (etcd serves its member list from its own view, so this works without quorum).
 * The member list decides what is asked: a member the endpoints do not name (a master that
 * joined after this API server started) is asked too, and an endpoint that is no member's and
 * does not answer (a master replaced since) is left out, so the line speaks of the members etcd
 * has now. Ready while some member can serve a linearizable read; the detail names the members
 * that are down and, when quorum is lost, how to recover. Never throws.
 */
export async function checkEtcdQuorum(options: EtcdClientOptions): Promise<StoreReadiness> {
  const [configured, listed] = await Promise.all([
    checkEtcdHealth({ callTimeoutMs: CALL_TIMEOUT_MS, ...options }),
    memberNames(options),
  ]);
  const { names, count, answering } = listed;
  let health = configured;
  if (listed.members) {
    const memberUrls = new Set(listed.members.flatMap((m) => m.clientURLs));
    const seenIds = new Set(configured.flatMap((h) => (h.memberId ? [h.memberId] : [])));
    const extra = listed.members
      .filter((m) => !seenIds.has(id64(m.ID)) && !m.clientURLs.some((u) => options.endpoints.includes(u)))
      .flatMap((m) => m.clientURLs.slice(0, 1));
    health = configured.filter((h) => h.memberId || answering.has(h.endpoint) || memberUrls.has(h.endpoint));
    if (extra.length > 0) {
      const more = { ...options, endpoints: extra };
      const [added, addedListing] = await Promise.all([
        checkEtcdHealth({ callTimeoutMs: CALL_TIMEOUT_MS, ...more }),
        memberNames(more),
      ]);
      health = [...health, ...added];
      for (const e of addedListing.answering) answering.add(e);
    }
  }
  const nameOf = (h: EtcdEndpointHealth) => names.get(h.endpoint) ?? h.endpoint;
  const size = Math.max(count, health.length);
  const up = health.filter((h) => h.healthy);
  const describe = (h: EtcdEndpointHealth) => `${nameOf(h)} (${h.endpoint}: ${h.error ?? 'not healthy'})`;
  const down = health.filter((h) => !h.healthy && !answering.has(h.endpoint)).map(describe);
  const leaderless = health.filter((h) => !h.healthy && answering.has(h.endpoint)).map(nameOf);
  if (up.length === 0)
    return {
      name: 'etcd',
      ok: false,
      detail: `etcd has lost quorum: no member can serve a read, ${majority(size)} of ${size} needed to write; down: ${down.join(', ') || 'none'}${leaderless.length ? `; up without a leader: ${leaderless.join(', ')}` : ''}; ${LOST_QUORUM_RECOVERY}`,
    };
  if (down.length === 0 && leaderless.length === 0)
    return { name: 'etcd', ok: true, detail: `${up.length}/${size} etcd members healthy` };
  return {
    name: 'etcd',
    ok: true,
    detail: `etcd has quorum (${up.length}/${size} healthy, ${majority(size)} needed); down: ${[...down, ...leaderless.map((n) => `${n} (no leader)`)].join(', ')}`,
  };
}

/**
 * Client URL → member name and the member list, from whichever endpoint answers a (local) member
 * list first, and the endpoints that answer at all.
 */
async function memberNames(options: EtcdClientOptions): Promise<{
  names: Map<string, string>;
  count: number;
  answering: Set<string>;
  members?: readonly RawMember[];
}> {
  const client = new EtcdClient({ callTimeoutMs: CALL_TIMEOUT_MS, ...options });
  try {
    const answers = await Promise.allSettled(
      options.endpoints.map((_, index) =>
        client.unary<{ members: readonly RawMember[] }>(
          'Cluster',
          'MemberList',
          { linearizable: false },
          index,
        ),
      ),
    );
    const answering = new Set(options.endpoints.filter((_, i) => answers[i]!.status === 'fulfilled'));
    const first = answers.find((a) => a.status === 'fulfilled');
    const names = new Map<string, string>();
    if (!first) return { names, count: 0, answering };
    // An added member that never started has no client URLs (the field is then absent).
    const members = (first.value.members ?? []).map((m) => ({ ...m, clientURLs: m.clientURLs ?? [] }));
    for (const m of members) for (const url of m.clientURLs) names.set(url, m.name || `member ${id64(m.ID)}`);
    return { names, count: members.length, answering, members };
  } finally {
    client.close();
  }
}
