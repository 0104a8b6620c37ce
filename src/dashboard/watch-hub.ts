import type { KubeClient } from '../client/client.js';
import { type ListWatch, runListWatch } from '../client/list-watch.js';
import { type ResourceType, resources } from '../client/types.js';
import type { KubeObject } from '../kube/index.js';

/** The resource types the page shows, by the name the page knows them. */
export const WATCHED = {
  nodes: resources.nodes,
  pods: resources.pods,
  deployments: resources.deployments,
  statefulsets: resources.statefulSets,
  daemonsets: resources.daemonSets,
  jobs: resources.jobs,
  cronjobs: resources.cronJobs,
  services: resources.services,
  endpoints: resources.endpoints,
  events: resources.events,
} as const satisfies Record<string, ResourceType>;

export type WatchedName = keyof typeof WATCHED;

/** One message to the page: the whole set of a type, one change, or why the type cannot be read. */
export type HubMessage =
  | { readonly r: WatchedName; readonly t: 'REPLACE'; readonly items: readonly KubeObject[] }
  | { readonly r: WatchedName; readonly t: 'ADDED' | 'MODIFIED' | 'DELETED'; readonly o: KubeObject }
  | { readonly r: WatchedName; readonly t: 'ERROR'; readonly message: string };

/** Events kept for the page: the newest; older ones are dropped first. */
export const MAX_EVENTS = 500;

const keyOf = (o: KubeObject) => `${o.metadata.namespace ?? ''}/${o.metadata.name}`;

/** The page has no use for managed fields, and they are most of an object's size. */
function slim(o: KubeObject): KubeObject {
  const meta = o.metadata as KubeObject['metadata'] & { managedFields?: unknown };
  if (!meta?.managedFields) return o;
  const { managedFields: _, ...metadata } = meta;
  return { ...o, metadata };
}

/**
 * One list-watch per type for the whole dashboard (not one per tab), with the current set cached so
 * a page that connects gets a snapshot and then every change. Subscribers are plain callbacks; the
 * SSE layer decides what to do with a slow one.
 */
export class WatchHub {
  private readonly cache = new Map<WatchedName, Map<string, KubeObject>>();
  private readonly errors = new Map<WatchedName, string>();
  private readonly subscribers = new Set<(m: HubMessage) => void>();
  private loops: ListWatch[] | undefined;

  constructor(private readonly client: KubeClient) {}

  /** Sends the current state to `fn`, then every change until the returned function is called. */
  subscribe(fn: (m: HubMessage) => void): () => void {
    this.start();
    for (const [r, items] of this.cache) fn({ r, t: 'REPLACE', items: [...items.values()] });
    for (const [r, message] of this.errors) fn({ r, t: 'ERROR', message });
    this.subscribers.add(fn);
    return () => this.subscribers.delete(fn);
  }

  /** Stops every watch. */
  async stop(): Promise<void> {
    const loops = this.loops ?? [];
    this.loops = [];
    this.subscribers.clear();
    await Promise.all(loops.map((l) => l.stop()));
  }

  private start(): void {
    if (this.loops) return;
    this.loops = (Object.keys(WATCHED) as WatchedName[]).map((r) =>
      runListWatch<KubeObject>(
        this.client,
        WATCHED[r],
        { watchTimeoutSeconds: 240 },
        {
          onReplace: (items) => {
            this.errors.delete(r);
            const map = new Map<string, KubeObject>();
            const kept = r === 'events' ? newestEvents(items) : items;
            for (const o of kept) map.set(keyOf(o), slim(o));
            this.cache.set(r, map);
            this.emit({ r, t: 'REPLACE', items: [...map.values()] });
          },
          onEvent: (e) => {
            const map = this.cache.get(r) ?? new Map<string, KubeObject>();
            this.cache.set(r, map);
            const o = slim(e.object);
            if (e.type === 'DELETED') map.delete(keyOf(o));
            else {
              map.delete(keyOf(o));
              map.set(keyOf(o), o);
              if (map.size > MAX_EVENTS && r === 'events') {
                const oldest = map.keys().next().value;
                if (oldest !== undefined) map.delete(oldest);
              }
            }
            this.emit({
              r,
              t: e.type === 'DELETED' ? 'DELETED' : e.type === 'ADDED' ? 'ADDED' : 'MODIFIED',
              o,
            });
          },
          onError: (err) => {
            const message = err instanceof Error ? err.message : String(err);
            this.errors.set(r, message);
            this.emit({ r, t: 'ERROR', message });
          },
        },
      ),
    );
  }

  private emit(m: HubMessage): void {
    for (const fn of this.subscribers) fn(m);
  }
}

function eventTime(o: KubeObject): string {
  const e = o as KubeObject & { lastTimestamp?: string; eventTime?: string };
  return e.lastTimestamp ?? e.eventTime ?? o.metadata.creationTimestamp ?? '';
}

function newestEvents(items: readonly KubeObject[]): KubeObject[] {
  return [...items].sort((a, b) => eventTime(a).localeCompare(eventTime(b))).slice(-MAX_EVENTS);
}
