import { age, h, table } from './dom.js';
import { rolloutState } from './rollout.js';
import type { ScaleAccess } from './scale-dialog.js';
import type { ClusterState, Obj } from './state.js';
import { missing } from './view-cluster.js';

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
  access: ScaleAccess,
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
          const label = `Scale deployment ${ns}/${d.metadata.name}`;
          const whyId = `why-${ns}-${d.metadata.name}`;
          const button = h(
            'button',
            {
              type: 'button',
              'data-key': `scale/${ns}/${d.metadata.name}`,
              'aria-label': label,
              disabled: allowed?.allowed !== true,
              'aria-describedby': allowed && !allowed.allowed ? whyId : undefined,
              onclick: () => onScale(d),
            },
            'Scale',
          );
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
              button,
              allowed === undefined ? h('span', { class: 'why' }, ' checking access…') : null,
              allowed && !allowed.allowed
                ? h('span', { class: 'why', id: whyId }, ` ${allowed.reason}`)
                : null,
            ),
          ];
        }),
      ),
  );
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
