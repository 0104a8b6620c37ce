import { type ActionAccess, actionButton, confirmAction, postAction } from './actions-ui.js';
import { age, h, table } from './dom.js';
import { rolloutState } from './rollout.js';
import type { ClusterState, Obj } from './state.js';
import { missing } from './view-cluster.js';
import { renderControllers } from './view-controllers.js';

/** Addresses of a Service's ready endpoints, `ip:port`, as `kubectl get endpoints` lists them. */
export function endpointAddresses(ep: Obj | undefined): string[] {
  const out: string[] = [];
  for (const subset of (ep?.subsets as { addresses?: { ip: string }[]; ports?: { port: number }[] }[]) ??
    []) {
    for (const a of subset.addresses ?? []) {
      const ports = subset.ports ?? [];
      if (ports.length === 0) out.push(a.ip);
      for (const p of ports) out.push(`${a.ip}:${p.port}`);
    }
  }
  return out;
}

/** Deployments with rollout state and the scale action; Services with their endpoints. */
export function renderWorkloads(
  state: ClusterState,
  access: ActionAccess,
  onScale: (d: Obj) => void,
): HTMLElement {
  const section = h(
    'section',
    { 'aria-labelledby': 'workloads-title' },
    h('h2', { id: 'workloads-title' }, 'Deployments'),
  );
  const deployments = state.list('deployments');
  section.append(
    missing(state, 'deployments') ??
      table(
        `${deployments.length} deployments`,
        ['Namespace', 'Name', 'Ready', 'Up-to-date', 'Available', 'Rollout', 'Age', 'Actions'],
        deployments.map((d) => {
          const ns = d.metadata.namespace ?? '';
          const rollout = rolloutState(d);
          const allowed = access.get(ns);
          const id = `${ns}/${d.metadata.name}`;
          return [
            ns,
            d.metadata.name,
            `${d.status?.readyReplicas ?? 0}/${d.spec?.replicas ?? 1}`,
            d.status?.updatedReplicas ?? 0,
            d.status?.availableReplicas ?? 0,
            h('span', { class: rollout.done ? 'ok' : 'muted' }, rollout.text),
            age(d.metadata.creationTimestamp),
            h(
              'span',
              {},
              actionButton('Scale', `Scale deployment ${id}`, `scale/${id}`, allowed?.scale, () =>
                onScale(d),
              ),
              actionButton('Restart', `Restart deployment ${id}`, `restart/${id}`, allowed?.restart, () =>
                confirmAction(
                  `Restart ${d.metadata.name}`,
                  `Restart every pod of deployment ${id}, one rollout step at a time (as kubectl rollout restart)?`,
                  'Restart',
                  () => postAction('/api/restart', { namespace: ns, name: d.metadata.name }),
                ),
              ),
              actionButton(
                'Roll back',
                `Roll back deployment ${id}`,
                `rollback/${id}`,
                allowed?.rollback,
                () =>
                  confirmAction(
                    `Roll back ${d.metadata.name}`,
                    `Roll deployment ${id} back to its previous revision (as kubectl rollout undo)?`,
                    'Roll back',
                    () => postAction('/api/rollback', { namespace: ns, name: d.metadata.name }),
                  ),
              ),
            ),
          ];
        }),
      ),
  );
  section.append(...renderControllers(state));
  section.append(h('h2', {}, 'Services'));
  const services = state.list('services');
  section.append(
    missing(state, 'services') ??
      table(
        `${services.length} services`,
        ['Namespace', 'Name', 'Type', 'Cluster IP', 'Ports', 'Endpoints'],
        services.map((s) => {
          const ns = s.metadata.namespace ?? '';
          const eps = endpointAddresses(state.get('endpoints', ns, s.metadata.name));
          return [
            ns,
            s.metadata.name,
            s.spec?.type ?? 'ClusterIP',
            s.spec?.clusterIP ?? '',
            (s.spec?.ports ?? [])
              .map(
                (p: { port: number; protocol?: string; nodePort?: number }) =>
                  `${p.port}${p.nodePort ? `:${p.nodePort}` : ''}/${p.protocol ?? 'TCP'}`,
              )
              .join(', '),
            eps.length ? eps.join(', ') : h('span', { class: 'muted' }, '<none>'),
          ];
        }),
      ),
  );
  return section;
}
