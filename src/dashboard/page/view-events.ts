import { age, h, table } from './dom.js';
import type { ClusterState, Obj } from './state.js';
import { missing } from './view-cluster.js';

interface EventFields {
  readonly type?: string;
  readonly reason?: string;
  readonly message?: string;
  readonly lastTimestamp?: string;
  readonly eventTime?: string;
  readonly count?: number;
  readonly involvedObject?: { kind?: string; name?: string; namespace?: string };
}

const when = (e: Obj) => {
  const f = e as unknown as EventFields;
  return f.lastTimestamp ?? f.eventTime ?? e.metadata.creationTimestamp ?? '';
};

/** Table rows of events, newest first, in `kubectl get events` columns. */
export function eventRows(events: readonly Obj[]): (string | HTMLElement)[][] {
  return [...events]
    .sort((a, b) => when(b).localeCompare(when(a)))
    .map((e) => {
      const f = e as unknown as EventFields;
      const o = f.involvedObject ?? {};
      return [
        age(when(e)),
        h('span', { class: f.type === 'Warning' ? 'bad' : '' }, f.type ?? ''),
        f.reason ?? '',
        `${(o.kind ?? '').toLowerCase()}/${o.name ?? ''}`,
        f.message ?? '',
      ];
    });
}

/** Events of the whole cluster, live, filtered by the text in the filter box. */
export function renderEvents(state: ClusterState, filter: HTMLInputElement): HTMLElement {
  const section = h(
    'section',
    { 'aria-labelledby': 'events-title' },
    h('h2', { id: 'events-title' }, 'Events'),
    h('label', { for: 'events-filter' }, 'Filter (namespace, object, reason or message)'),
    filter,
  );
  const none = missing(state, 'events');
  if (none) {
    section.append(none);
    return section;
  }
  const words = filter.value.trim().toLowerCase().split(/\s+/).filter(Boolean);
  const events = state.list('events').filter((e) => {
    const f = e as unknown as EventFields;
    const text = [
      e.metadata.namespace,
      f.type,
      f.reason,
      f.message,
      f.involvedObject?.kind,
      f.involvedObject?.name,
    ]
      .join(' ')
      .toLowerCase();
    return words.every((w) => text.includes(w));
  });
  section.append(
    table(`${events.length} events`, ['Last seen', 'Type', 'Reason', 'Object', 'Message'], eventRows(events)),
  );
  return section;
}
