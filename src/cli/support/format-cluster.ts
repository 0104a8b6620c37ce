import type {
  ChangeSummary,
  ClusterStatus,
  ClusterSummary,
  DeleteClusterResult,
  DeletePlan,
  GroupStatus,
  Host,
  PoolAddress,
} from '../../index.js';

/** Left-aligned columns separated by two spaces. */
export function renderTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const fmt = (r: readonly string[]) =>
    r
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [fmt(header), ...rows.map(fmt)].join('\n');
}

/** Groups with desired vs in-service. */
export function renderGroups(groups: readonly GroupStatus[]): string {
  return renderTable(
    ['GROUP', 'ROLE', 'IN SERVICE', 'DESIRED', 'MIN', 'MAX'],
    groups.map((g) => [g.name, g.role, String(g.inService), String(g.desired), String(g.min), String(g.max)]),
  );
}

/** Instances with zone and addresses. */
export function renderHosts(hosts: readonly Host[]): string {
  return renderTable(
    ['INSTANCE', 'GROUP', 'ZONE', 'STATE', 'PRIVATE IP', 'PUBLIC IP', 'EIP'],
    hosts.map((h) => [
      h.id,
      h.group,
      h.zone,
      h.lifecycleState || h.state,
      h.privateIp ?? '-',
      h.publicIp ?? '-',
      h.eip ? h.eip.allocationId : '-',
    ]),
  );
}

/** The EIP pool. */
export function renderEips(eips: readonly PoolAddress[]): string {
  if (eips.length === 0) return 'no pool EIPs (set eipPool.size in the spec)';
  return renderTable(
    ['ALLOCATION', 'ADDRESS', 'POOL', 'INSTANCE'],
    eips.map((a) => [a.allocationId, a.publicIp, a.pool || '-', a.instanceId ?? 'free']),
  );
}

/** Each master's `/readyz`, then what the store said (once per distinct text: every API server checks every member). */
export function renderControlPlane(checks: NonNullable<ClusterStatus['controlPlane']>): string {
  const table = renderTable(
    ['MASTER', 'API SERVER', 'READY'],
    checks.map((c) => [c.host, c.server, c.ready ? 'yes' : c.answered ? 'no' : `no answer (${c.error})`]),
  );
  const stores = [...new Set(checks.flatMap((c) => (c.store ? [`${c.store.name}: ${c.store.detail}`] : [])))];
  const other = checks.filter((c) => c.answered && !c.ready && !c.store).map((c) => `${c.host}: ${c.error}`);
  return [table, ...stores, ...other].join('\n');
}

/** `tugboat status` text. */
export function renderStatus(s: ClusterStatus): string {
  const head = [
    `cluster ${s.cluster} (${s.region})`,
    `stack   ${s.stackName}: ${s.stack ? s.stack.status : 'gone (tagged resources remain; run `tugboat delete`)'}`,
    ...(s.apiEndpoint ? [`api     ${s.apiEndpoint}`] : []),
  ];
  const failed = s.bootFailures.map(
    (f) => `  ${f.instanceId} (${f.role}${f.group ? ` ${f.group}` : ''}) at ${f.at}: ${f.reason}`,
  );
  return [
    ...head,
    '',
    renderGroups(s.groups),
    '',
    renderHosts(s.hosts),
    '',
    renderEips(s.eips),
    ...(failed.length ? ['', 'boot failed:', ...failed] : []),
    ...(s.controlPlane ? ['', renderControlPlane(s.controlPlane)] : []),
  ].join('\n');
}

/** `tugboat list` text. */
export function renderClusterList(clusters: readonly ClusterSummary[]): string {
  if (clusters.length === 0) return 'no tugboat clusters in this region';
  return renderTable(
    ['CLUSTER', 'STACK', 'STATUS'],
    clusters.map((c) => [c.cluster, c.stackName, c.status]),
  );
}

/** The add / modify / replace / remove summary of an update. */
export function renderChanges(c: ChangeSummary): string {
  const lines: string[] = [];
  const add = (label: string, list: ChangeSummary['add']) => {
    for (const r of list) lines.push(`  ${label} ${r.logicalId} (${r.resourceType})`);
  };
  add('+ add    ', c.add);
  add('~ modify ', c.modify);
  add('! replace', c.replace);
  add('- remove ', c.remove);
  const total = c.add.length + c.modify.length + c.replace.length + c.remove.length;
  return total
    ? `changes:\n${lines.join('\n')}`
    : 'changes: the emulator gave no resource-level details for this change set';
}

/** What delete would remove. */
export function renderDeletePlan(plan: DeletePlan): string {
  const stack = plan.stackStatus
    ? `stack ${plan.stackName} (${plan.stackStatus})`
    : `no stack ${plan.stackName}`;
  const lines = plan.resources.map((r) => `  ${r.kind} ${r.id}`);
  return `would delete ${stack} and ${plan.resources.length} tagged resources${lines.length ? `:\n${lines.join('\n')}` : ''}`;
}

/** The delete outcome with its proof. */
export function renderDeleteResult(r: DeleteClusterResult): string {
  if (r.declined) return 'nothing deleted';
  const proof = r.proof;
  if (!proof) return `cluster ${r.cluster}: no proof available`;
  if (r.clean && r.plan.resources.length === 0 && !r.plan.stackStatus) {
    return `nothing of cluster ${r.cluster} found: ${proof.checks.length} resource kinds checked, none tagged tugboat:cluster=${r.cluster}`;
  }
  if (r.clean) {
    const kept = proof.keptBackups > 0 ? `; kept ${proof.keptBackups} backup objects as asked` : '';
    return `deleted cluster ${r.cluster}: ${proof.checks.length} resource kinds checked, none tagged tugboat:cluster=${r.cluster} left${kept}`;
  }
  const left = proof.remaining.map((x) => `  ${x.kind} ${x.id}`).join('\n');
  return `cluster ${r.cluster} is NOT fully deleted; remaining:\n${left}\nre-run \`tugboat delete ${r.cluster}\`, or remove these by hand`;
}
