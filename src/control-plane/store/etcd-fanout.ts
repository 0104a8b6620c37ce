import { StoreError, type Watch, type WatchEvent, type WatchHandlers } from './types.js';

/** Opens one upstream etcd watch from `startRevision` (inclusive). */
export type OpenUpstream = (
  key: string,
  prefix: boolean,
  startRevision: number,
  handlers: WatchHandlers,
) => Promise<Watch>;

interface Member {
  readonly from: number;
  readonly handlers: WatchHandlers;
  done: boolean;
}

interface Group {
  readonly id: string;
  /** First revision the upstream delivers. */
  readonly from: number;
  readonly members: Set<Member>;
  /** The most recent events, so a watcher joining slightly in the past is served from memory. */
  recent: WatchEvent[];
  /** Revision of the newest event evicted from `recent` (from - 1 while nothing was evicted). */
  evictedThrough: number;
  upstream: Watch | undefined;
  /** The upstream failed; members were told and nobody may join. */
  ended: boolean;
}

const RECENT = 1024;

/**
 * Shares one etcd watch stream among all store watches on the same key range. etcd sends every
 * event once per stream and the client decodes each copy, so 500 API watchers on pods would cost
 * 500 decodes per change; sharing costs one (the kube-apiserver's watch cache does the same).
 * A watch whose start revision the shared stream cannot cover gets its own stream.
 */
export class WatchFanout {
  private readonly groups = new Map<string, Promise<Group>>();

  constructor(
    private readonly open: OpenUpstream,
    private readonly currentRevision: () => Promise<number>,
  ) {}

  async watch(
    key: string,
    prefix: boolean,
    startRevision: number | undefined,
    handlers: WatchHandlers,
  ): Promise<Watch> {
    const id = `${prefix ? 'p' : 'k'}:${key}`;
    const now = (await this.currentRevision()) + 1;
    const start = startRevision && startRevision > 0 ? startRevision : now;
    let pending = this.groups.get(id);
    if (!pending && start >= now) {
      pending = this.createGroup(id, key, prefix, now);
      this.groups.set(id, pending);
      pending.catch(() => this.groups.delete(id));
    }
    const group = await pending?.catch(() => undefined);
    // The group may have ended (last member cancelled, upstream failed) while we waited.
    const live = group && !group.ended && this.groups.get(id) === pending;
    if (!group || !live || start < group.from || start <= group.evictedThrough) {
      return this.open(key, prefix, start, handlers);
    }
    const member: Member = { from: start, handlers, done: false };
    group.members.add(member);
    // Same tick as joining: nothing can arrive between the backlog and the live events.
    const backlog = group.recent.filter((e) => e.kv.modRevision >= start);
    if (backlog.length > 0) deliver(group, member, backlog);
    return {
      cancel: async () => {
        member.done = true;
        group.members.delete(member);
        if (group.members.size === 0 && this.groups.get(id) === pending) {
          this.groups.delete(id);
          await group.upstream?.cancel();
        }
      },
    };
  }

  private async createGroup(id: string, key: string, prefix: boolean, from: number): Promise<Group> {
    const group: Group = {
      id,
      from,
      members: new Set(),
      recent: [],
      evictedThrough: from - 1,
      upstream: undefined,
      ended: false,
    };
    group.upstream = await this.open(key, prefix, from, {
      onEvents: (events) => {
        group.recent.push(...events);
        if (group.recent.length > RECENT) {
          const evicted = group.recent.splice(0, group.recent.length - RECENT);
          group.evictedThrough = evicted[evicted.length - 1]!.kv.modRevision;
        }
        for (const member of group.members) {
          const mine = events.filter((e) => e.kv.modRevision >= member.from);
          if (mine.length > 0) deliver(group, member, mine);
        }
      },
      onError: (err) => {
        group.ended = true;
        const current = this.groups.get(id);
        current?.then((g) => g === group && this.groups.get(id) === current && this.groups.delete(id));
        for (const member of group.members) end(group, member, err);
      },
    });
    return group;
  }
}

function deliver(group: Group, member: Member, events: readonly WatchEvent[]): void {
  if (member.done) return;
  try {
    member.handlers.onEvents(events);
  } catch (err) {
    end(
      group,
      member,
      new StoreError('Unavailable', `watch handler threw (${(err as Error).message}): the watch was ended`),
    );
  }
}

function end(group: Group, member: Member, err: StoreError): void {
  if (member.done) return;
  member.done = true;
  group.members.delete(member);
  try {
    member.handlers.onError(err);
  } catch {
    // The watch is over either way.
  }
}
