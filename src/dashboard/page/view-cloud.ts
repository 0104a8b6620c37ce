import { actionButton, confirmAction, postAction } from './actions-ui.js';
import { age, h, table } from './dom.js';
import type { ClusterState } from './state.js';

interface Host {
  id: string;
  group: string;
  zone: string;
  lifecycleState: string;
  state: string;
  privateIp?: string;
  publicIp?: string;
  eip?: { publicIp: string };
}
interface Group {
  name: string;
  role: string;
  min: number;
  max: number;
  desired: number;
  inService: number;
  hosts: Host[];
}

/** "a: 1/1, b: 0/1": per zone, instances in service of the group's instances there. */
function perZone(g: Group): string {
  const zones = new Map<string, [number, number]>();
  for (const host of g.hosts ?? []) {
    const [ok, all] = zones.get(host.zone) ?? [0, 0];
    zones.set(host.zone, [ok + (host.lifecycleState === 'InService' ? 1 : 0), all + 1]);
  }
  return [...zones].map(([z, [ok, all]]) => `${z}: ${ok}/${all}`).join(', ');
}

/** The AWS side of the cluster: stack status, groups, instances with addresses and EIPs, the pool. */
export function renderCloud(state: ClusterState): HTMLElement | undefined {
  const cloud = state.cloud;
  if (!cloud) return undefined;
  const section = h('section', { 'aria-labelledby': 'aws-title' }, h('h2', { id: 'aws-title' }, 'AWS'));
  if (cloud.t === 'ERROR') {
    section.append(h('p', { class: 'bad', role: 'note' }, `cannot read the AWS side: ${cloud.message}`));
    return section;
  }
  const s = cloud.status;
  const stack = s.stack as { status: string; reason?: string } | undefined;
  section.append(
    h(
      'p',
      {},
      `Stack ${s.stackName} in ${s.region}: `,
      h(
        'strong',
        { id: 'stack-status', class: /FAILED|ROLLBACK/.test(stack?.status ?? '') ? 'bad' : 'ok' },
        stack?.status ?? 'gone',
      ),
      stack?.reason ? ` (${stack.reason})` : '',
      s.apiEndpoint ? ` · API ${s.apiEndpoint}` : '',
      h('span', { class: 'muted' }, ` · read ${age(cloud.at)} ago`),
    ),
  );
  const groups = (s.groups ?? []) as Group[];
  section.append(
    table(
      `${groups.length} auto-scaling groups`,
      ['Group', 'Role', 'Desired', 'In service', 'Min–max', 'Per zone (in service/instances)'],
      groups.map((g) => [g.name, g.role, g.desired, g.inService, `${g.min}–${g.max}`, perZone(g)]),
    ),
  );
  const hosts = (s.hosts ?? []) as Host[];
  section.append(
    table(
      `${hosts.length} instances`,
      ['Instance', 'Group', 'Zone', 'State', 'Private IP', 'Public IP', 'Elastic IP'],
      hosts.map((x) => [
        x.id,
        x.group,
        x.zone,
        `${x.state} / ${x.lifecycleState}`,
        x.privateIp ?? '',
        x.publicIp ?? '',
        x.eip?.publicIp ?? '',
      ]),
    ),
  );
  const failures = (s.bootFailures ?? []) as {
    instanceId: string;
    role: string;
    reason: string;
    at: string;
  }[];
  if (failures.length > 0) {
    section.append(
      table(
        `${failures.length} instances whose boot failed`,
        ['Instance', 'Role', 'Reason', 'When'],
        failures.map((f) => [f.instanceId, f.role, h('span', { class: 'bad' }, f.reason), age(f.at)]),
      ),
    );
  }
  const eips = (s.eips ?? []) as {
    allocationId: string;
    publicIp: string;
    pool: string;
    instanceId?: string;
  }[];
  const free = eips.filter((e) => !e.instanceId).length;
  section.append(
    h(
      'p',
      {},
      // AWS IAM decides, with the user's own credentials: a refusal shows in the dialog.
      actionButton(
        'Assign Elastic IPs',
        'Assign free Elastic IPs',
        'eip-assign',
        { allowed: true, reason: '' },
        () =>
          confirmAction(
            'Assign Elastic IPs',
            `Associate free pool addresses (${free} now) with the instances of the groups whose spec says eip: true that have none (as tugboat eip assign ${s.cluster ?? ''})? Addresses already in use are never moved.`,
            'Assign',
            () => postAction('/api/eip-assign', {}),
          ),
      ),
    ),
    table(
      `${eips.length} Elastic IPs in the pool`,
      ['Address', 'Allocation', 'Pool', 'Instance'],
      eips.map((e) => [
        e.publicIp,
        e.allocationId,
        e.pool,
        e.instanceId ?? h('span', { class: 'muted' }, 'free'),
      ]),
    ),
  );
  return section;
}
