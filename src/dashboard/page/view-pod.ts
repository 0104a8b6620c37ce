import { type ActionAccess, actionButton, confirmAction, postAction } from './actions-ui.js';
import { age, h, table } from './dom.js';
import type { ClusterState, Obj } from './state.js';
import { eventRows } from './view-events.js';

/** The open log stream of the pod view: kept across re-renders of the view, closed on leaving it. */
export class LogPanel {
  readonly element: HTMLElement;
  private source: EventSource | undefined;
  private readonly pre: HTMLPreElement;
  private readonly follow: HTMLInputElement;
  private readonly status: HTMLElement;
  readonly target: string;

  constructor(namespace: string, pod: string, container: string) {
    this.target = `${namespace}/${pod}/${container}`;
    this.pre = h('pre', { class: 'logs', id: 'logs', tabindex: 0, 'aria-label': `logs of ${container}` });
    this.follow = h('input', {
      type: 'checkbox',
      id: 'logs-follow',
      'data-key': 'logs-follow',
      checked: true,
    });
    this.status = h('p', { class: 'muted', role: 'status' }, 'connecting…');
    this.element = h(
      'section',
      { 'aria-labelledby': 'logs-title' },
      h('h2', { id: 'logs-title' }, `Logs of ${container}`),
      h(
        'p',
        {},
        this.follow,
        ' ',
        h('label', { for: 'logs-follow', class: 'inline' }, 'Follow (scroll to new lines)'),
      ),
      this.status,
      this.pre,
    );
    const q = new URLSearchParams({ namespace, pod, container });
    this.source = new EventSource(`/api/logs?${q}`);
    this.source.onopen = () => {
      this.status.textContent = 'streaming';
    };
    this.source.onmessage = (e) => {
      const m = JSON.parse(e.data) as { line?: string; end?: boolean; error?: string };
      if (m.error) this.status.textContent = `log stream failed: ${m.error}`;
      if (m.end) this.status.textContent = 'the container ended its log';
      if (m.line !== undefined) {
        this.pre.append(`${m.line}\n`);
        if (this.follow.checked) this.pre.scrollTop = this.pre.scrollHeight;
      }
      if (m.end || m.error) this.close();
    };
    this.source.onerror = () => {
      this.status.textContent = 'log stream interrupted; reconnecting';
    };
  }

  close(): void {
    this.source?.close();
    this.source = undefined;
  }
}

function containerState(s: { state?: Record<string, { reason?: string }> } | undefined): string {
  const [name, detail] = Object.entries(s?.state ?? {})[0] ?? ['unknown', undefined];
  return detail?.reason ? `${name} (${detail.reason})` : name;
}

/** One pod: status, containers, conditions, its events, and the logs panel. */
export function renderPod(
  state: ClusterState,
  namespace: string,
  name: string,
  logs: LogPanel | undefined,
  access: ActionAccess,
): HTMLElement {
  const pod: Obj | undefined = state.get('pods', namespace, name);
  const section = h(
    'section',
    { 'aria-labelledby': 'pod-title' },
    h('h2', { id: 'pod-title' }, `Pod ${namespace}/${name}`),
  );
  if (!pod) {
    section.append(
      h('p', { class: 'muted' }, state.loaded('pods') ? 'this pod does not exist (any more)' : 'loading…'),
    );
    return section;
  }
  section.append(
    h(
      'p',
      {},
      `Phase ${pod.status?.phase ?? 'Unknown'} · node ${pod.spec?.nodeName ?? '(unscheduled)'} · IP ${pod.status?.podIP ?? 'none'} · age ${age(pod.metadata.creationTimestamp)}`,
    ),
  );
  const id = `${namespace}/${name}`;
  section.append(
    h(
      'p',
      {},
      actionButton('Delete pod', `Delete pod ${id}`, `delete/${id}`, access.get(namespace)?.deletePod, () =>
        confirmAction(
          `Delete ${name}`,
          `Delete pod ${id}? Its controller, if it has one, makes a new pod.`,
          'Delete',
          () => postAction('/api/delete-pod', { namespace, name }),
        ),
      ),
    ),
  );
  const statuses = new Map<string, { ready?: boolean; restartCount?: number }>(
    (pod.status?.containerStatuses ?? []).map((c: { name: string }) => [c.name, c]),
  );
  section.append(
    table(
      'containers',
      ['Container', 'Image', 'Ready', 'State', 'Restarts'],
      (pod.spec?.containers ?? []).map((c: { name: string; image: string }) => {
        const s = statuses.get(c.name);
        return [c.name, c.image, s?.ready ? 'yes' : 'no', containerState(s as never), s?.restartCount ?? 0];
      }),
    ),
  );
  section.append(
    table(
      'conditions',
      ['Condition', 'Status', 'Reason'],
      (pod.status?.conditions ?? []).map((c: { type: string; status: string; reason?: string }) => [
        c.type,
        c.status,
        c.reason ?? '',
      ]),
    ),
  );
  section.append(h('h2', {}, 'Events'));
  const events = state
    .list('events')
    .filter(
      (e) =>
        e.involvedObject &&
        (e.involvedObject as { uid?: string; name?: string; kind?: string }).name === name &&
        e.metadata.namespace === namespace,
    );
  section.append(
    table(`${events.length} events`, ['Last seen', 'Type', 'Reason', 'Object', 'Message'], eventRows(events)),
  );
  if (logs) section.append(logs.element);
  return section;
}
