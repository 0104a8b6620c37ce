import { type EventSink, silentEvents } from '../../events.js';
import type { EtcdClient, Int64 } from './etcd-client.js';

/** The most endpoints a sync keeps (etcd clusters have 3, 5 or 7 members; 16 leaves room for extra URLs). */
export const MAX_SYNCED_ENDPOINTS = 16;

/** A member as Cluster/MemberList returns it (absent repeated fields decode as absent). */
export interface ListedEtcdMember {
  readonly ID?: Int64;
  readonly name?: string;
  readonly clientURLs?: readonly string[];
  readonly isLearner?: boolean;
}

/** Options of {@link startEndpointSync}. */
export interface EndpointSyncOptions {
  /** Time between two syncs; 0 or less starts nothing. */
  readonly intervalMs: number;
  /** Receives `store.endpoints-synced` and `store.endpoint-sync-failed`. @default silentEvents */
  readonly events?: EventSink;
}

/**
 * The client URLs a client should use, from a member list (as clientv3's Sync): members that have
 * started (a name) and are no learners, URLs that parse and use `scheme` ('http:' or 'https:', the
 * configured endpoints' scheme, so TLS stays as configured), deduplicated, at most
 * {@link MAX_SYNCED_ENDPOINTS}. Pure.
 */
export function pickMemberEndpoints(members: readonly ListedEtcdMember[], scheme: string): string[] {
  const urls = new Set<string>();
  for (const member of members) {
    if (!member.name || member.isLearner) continue;
    for (const url of member.clientURLs ?? []) {
      if (urls.size >= MAX_SYNCED_ENDPOINTS) return [...urls];
      let parsed: URL;
      try {
        parsed = new URL(url);
      } catch {
        continue;
      }
      if (parsed.protocol === scheme && parsed.hostname !== '') urls.add(url);
    }
  }
  return [...urls];
}

/**
 * One sync: asks the endpoints in turn for the member list until one answers, and sets the
 * client's endpoints to {@link pickMemberEndpoints} of it. Returns the new list, or undefined when
 * the list was kept (no endpoint answered, or the answer named no usable URL); never throws.
 */
export async function syncEtcdEndpoints(
  client: EtcdClient,
  scheme: string,
  events: EventSink = silentEvents,
): Promise<readonly string[] | undefined> {
  const endpoints = client.endpoints;
  const errors: string[] = [];
  for (let index = 0; index < endpoints.length; index++) {
    let members: readonly ListedEtcdMember[];
    try {
      const res = await client.unary<{ members?: readonly ListedEtcdMember[] }>(
        'Cluster',
        'MemberList',
        { linearizable: true },
        // The list may have changed under us (another sync, close): ask by position only while valid.
        client.endpoints === endpoints ? index : undefined,
      );
      members = res.members ?? [];
    } catch (err) {
      // Closed while asking (the store closed): nothing to keep or report.
      if (client.isClosed) return undefined;
      errors.push(`${endpoints[index]}: ${(err as Error).message.split('\n')[0]}`);
      continue;
    }
    const picked = pickMemberEndpoints(members, scheme);
    if (picked.length === 0) {
      events.emit({
        code: 'store.endpoint-sync-failed',
        level: 'warn',
        message: `etcd member list from ${endpoints[index]} names no started member with a ${scheme}// client URL: keeping ${client.endpoints.join(', ')}`,
        data: { endpoints: [...client.endpoints] },
      });
      return undefined;
    }
    const current = client.endpoints;
    if (picked.length !== current.length || picked.some((url, i) => url !== current[i])) {
      client.setEndpoints(picked);
      events.emit({
        code: 'store.endpoints-synced',
        level: 'info',
        message: `etcd endpoints now ${picked.join(', ')} (were ${current.join(', ')})`,
        data: { endpoints: picked, previous: [...current] },
      });
    }
    return picked;
  }
  events.emit({
    code: 'store.endpoint-sync-failed',
    level: 'warn',
    message: `no etcd endpoint answered the member list (${errors.join('; ')}): keeping ${client.endpoints.join(', ')}`,
    data: { endpoints: [...client.endpoints] },
  });
  return undefined;
}

/**
 * Keeps the client's endpoints on the members etcd has (clientv3's AutoSyncInterval): every
 * `intervalMs` one {@link syncEtcdEndpoints}, never two at once. A master replaced with a new
 * address is then found through the members still running. Returns the stop function.
 */
export function startEndpointSync(client: EtcdClient, options: EndpointSyncOptions): () => void {
  if (!(options.intervalMs > 0)) return () => undefined;
  const scheme = new URL(client.endpoints[0]!).protocol;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      void syncEtcdEndpoints(client, scheme, options.events).finally(schedule);
    }, options.intervalMs);
    timer.unref();
  };
  schedule();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
