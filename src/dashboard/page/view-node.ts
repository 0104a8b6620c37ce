import { type ActionAccess, actionButton, confirmAction, postAction } from './actions-ui.js';
import { lineChart } from './chart.js';
import { age, h, podLink, table } from './dom.js';
import type { ClusterState } from './state.js';
import { nodeReady } from './view-cluster.js';

/** A link to a node's view. */
export function nodeLink(name: string): HTMLAnchorElement {
  return h('a', { href: `#/node/${encodeURIComponent(name)}` }, name);
}

/** One node: state, conditions, addresses, capacity, its pods, and cordon/uncordon. */
export function renderNode(state: ClusterState, name: string, access: ActionAccess): HTMLElement {
  const node = state.get('nodes', '', name);
  const section = h(
    'section',
    { 'aria-labelledby': 'node-title' },
    h('h2', { id: 'node-title' }, `Node ${name}`),
  );
  if (!node) {
    section.append(
      h('p', { class: 'muted' }, state.loaded('nodes') ? 'this node does not exist (any more)' : 'loading…'),
    );
    return section;
  }
  const cordoned = node.spec?.unschedulable === true;
  const info = node.status?.nodeInfo ?? {};
  section.append(
    h(
      'p',
      {},
      h('strong', { id: 'node-state' }, nodeReady(node)),
      ` · ${info.kubeletVersion ?? ''} · ${info.osImage ?? ''} · ${info.containerRuntimeVersion ?? ''} · age ${age(node.metadata.creationTimestamp)}`,
    ),
    h(
      'p',
      {},
      actionButton(
        cordoned ? 'Uncordon' : 'Cordon',
        `${cordoned ? 'Uncordon' : 'Cordon'} node ${name}`,
        `cordon/${name}`,
        access.get('default')?.cordon,
        () =>
          confirmAction(
            `${cordoned ? 'Uncordon' : 'Cordon'} ${name}`,
            cordoned
              ? `Let the scheduler place new pods on node ${name} again?`
              : `Stop the scheduler from placing new pods on node ${name}? Pods already there keep running.`,
            cordoned ? 'Uncordon' : 'Cordon',
            () => postAction('/api/cordon', { name, unschedulable: !cordoned }),
          ),
      ),
      ' ',
      actionButton('Drain', `Drain node ${name}`, `drain/${name}`, access.get('default')?.drain, () =>
        confirmAction(
          `Drain ${name}`,
          `Cordon node ${name} and evict its pods through the Eviction API, waiting while PodDisruptionBudgets say no (as kubectl drain --ignore-daemonsets)? Pods without a controller or with emptyDir data stop it. Uncordon it afterwards.`,
          'Drain',
          () => postAction('/api/drain', { name }),
        ),
      ),
    ),
  );
  section.append(
    table(
      'conditions',
      ['Condition', 'Status', 'Reason', 'Message', 'Last transition'],
      (node.status?.conditions ?? []).map(
        (c: {
          type: string;
          status: string;
          reason?: string;
          message?: string;
          lastTransitionTime?: string;
        }) => [c.type, c.status, c.reason ?? '', c.message ?? '', age(c.lastTransitionTime)],
      ),
    ),
  );
  const capacity = node.status?.capacity ?? {};
  const allocatable = node.status?.allocatable ?? {};
  section.append(
    table(
      'resources',
      ['Resource', 'Capacity', 'Allocatable'],
      Object.keys(capacity)
        .sort()
        .map((r) => [r, String(capacity[r]), String(allocatable[r] ?? '')]),
    ),
  );
  const samples = state.metrics.get(name) ?? [];
  const hour = 60 * 60 * 1000;
  section.append(
    h('h2', {}, 'Usage over the last hour'),
    state.metricsError
      ? h('p', { class: 'bad', role: 'note' }, `cannot read node metrics: ${state.metricsError}`)
      : '',
    h('h3', {}, 'CPU'),
    lineChart(
      'cpu-chart',
      `CPU of ${name}`,
      samples.map((s) => ({ at: s.at, value: s.cpu })),
      (v) => `${(v * 1000).toFixed(0)}m`,
      hour,
    ),
    h('h3', {}, 'Memory'),
    lineChart(
      'memory-chart',
      `Memory of ${name}`,
      samples.map((s) => ({ at: s.at, value: s.memory })),
      (v) => `${(v / 1024 / 1024).toFixed(0)} MiB`,
      hour,
    ),
  );
  const pods = state.list('pods').filter((p) => p.spec?.nodeName === name);
  section.append(
    h('h2', {}, 'Pods'),
    table(
      `${pods.length} pods`,
      ['Namespace', 'Pod', 'Phase', 'Age'],
      pods.map((p) => [
        p.metadata.namespace ?? '',
        podLink(p.metadata.namespace ?? '', p.metadata.name),
        p.status?.phase ?? '',
        age(p.metadata.creationTimestamp),
      ]),
    ),
  );
  return section;
}
