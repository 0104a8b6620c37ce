import { age, h, podLink, table } from './dom.js';
import type { ClusterState, Kind, Obj } from './state.js';
import { renderCloud } from './view-cloud.js';
import { nodeLink } from './view-node.js';

/** "Ready" / "NotReady" / "Unknown" from a node's Ready condition, as kubectl shows it. */
export function nodeReady(node: Obj): string {
  const ready = (node.status?.conditions ?? []).find((c: { type: string }) => c.type === 'Ready');
  const state = ready?.status === 'True' ? 'Ready' : ready ? 'NotReady' : 'Unknown';
  return node.spec?.unschedulable ? `${state},SchedulingDisabled` : state;
}

/** A note for a kind the user cannot read (RBAC), or that has not arrived yet. */
export function missing(state: ClusterState, kind: Kind): HTMLElement | undefined {
  const err = state.errors.get(kind);
  if (err) return h('p', { class: 'bad', role: 'note' }, `cannot read ${kind}: ${err}`);
  if (!state.loaded(kind)) return h('p', { class: 'muted' }, `loading ${kind}…`);
  return undefined;
}

/** The cluster: version, nodes with their Ready state, and the pods on each node. */
export function renderCluster(state: ClusterState): HTMLElement {
  const nodes = state.list('nodes');
  const pods = state.list('pods');
  const byNode = new Map<string, Obj[]>();
  for (const p of pods) {
    const n = p.spec?.nodeName ?? '(unscheduled)';
    byNode.set(n, [...(byNode.get(n) ?? []), p]);
  }
  const section = h(
    'section',
    { 'aria-labelledby': 'cluster-title' },
    h('h2', { id: 'cluster-title' }, 'Cluster'),
    h('p', {}, 'API server version: ', h('strong', { id: 'server-version' }, state.version || 'unknown')),
  );
  const cloud = renderCloud(state);
  if (cloud) section.append(cloud);
  section.append(h('h2', {}, 'Nodes'));
  section.append(
    missing(state, 'nodes') ??
      table(
        `${nodes.length} nodes`,
        ['Name', 'Status', 'Version', 'Internal IP', 'Pods', 'Age'],
        nodes.map((n) => {
          const ready = nodeReady(n);
          const ip = (n.status?.addresses ?? []).find(
            (a: { type: string }) => a.type === 'InternalIP',
          )?.address;
          return [
            nodeLink(n.metadata.name),
            h('span', { class: ready === 'Ready' ? 'ok' : 'bad' }, ready),
            n.status?.nodeInfo?.kubeletVersion ?? '',
            ip ?? '',
            byNode.get(n.metadata.name)?.length ?? 0,
            age(n.metadata.creationTimestamp),
          ];
        }),
      ),
  );
  section.append(h('h2', {}, 'Pods by node'));
  const podsMissing = missing(state, 'pods');
  if (podsMissing) section.append(podsMissing);
  else {
    for (const [node, list] of [...byNode].sort(([a], [b]) => a.localeCompare(b))) {
      section.append(
        table(
          `${node}: ${list.length} pods`,
          ['Namespace', 'Pod', 'Phase', 'Restarts'],
          list.map((p) => [
            p.metadata.namespace ?? '',
            podLink(p.metadata.namespace ?? '', p.metadata.name),
            p.status?.phase ?? '',
            (p.status?.containerStatuses ?? []).reduce(
              (sum: number, c: { restartCount?: number }) => sum + (c.restartCount ?? 0),
              0,
            ),
          ]),
        ),
      );
    }
  }
  return section;
}
