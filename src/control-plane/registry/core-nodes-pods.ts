import { resources } from '../../client/types.js';
import type { StatusCause, UntypedObject } from '../../kube/index.js';
import { age, ageColumn, ageOf, column, nameColumn, nameOf } from './columns.js';
import { identity, type ResourceDef } from './types.js';
import { checkLabelName, checkPodSpec, ensureRecord, getPath, isRecord } from './validation.js';

/** core/v1 Namespace: cluster-scoped; `status.phase` Active until deletion starts. */
export const namespaces: ResourceDef = {
  ...identity(resources.namespaces),
  singular: 'namespace',
  shortNames: ['ns'],
  categories: [],
  subresources: ['status'],
  statusField: 'status',
  defaults(obj) {
    ensureRecord(obj, 'spec').finalizers ??= ['kubernetes'];
    ensureRecord(obj, 'status').phase ??= 'Active';
    const labels = ensureRecord(obj.metadata as Record<string, unknown>, 'labels');
    labels['kubernetes.io/metadata.name'] = nameOf(obj);
  },
  validate: (obj) => checkLabelName(nameOf(obj), 'metadata.name'),
  columns: [nameColumn, column('Status', 'The status of the namespace'), ageColumn],
  cells: (obj, now) => [nameOf(obj), String(getPath(obj, ['status', 'phase']) ?? ''), ageOf(obj, now)],
  selectableFields: ['status.phase'],
};

function nodeStatus(obj: UntypedObject): string {
  const conditions = getPath(obj, ['status', 'conditions']);
  const ready = Array.isArray(conditions)
    ? conditions.find((c) => isRecord(c) && c.type === 'Ready')
    : undefined;
  let status = !isRecord(ready)
    ? 'Unknown'
    : ready.status === 'True'
      ? 'Ready'
      : ready.status === 'False'
        ? 'NotReady'
        : 'Unknown';
  if (getPath(obj, ['spec', 'unschedulable']) === true) status += ',SchedulingDisabled';
  return status;
}

function nodeRoles(obj: UntypedObject): string {
  const roles = Object.keys(obj.metadata?.labels ?? {})
    .filter((k) => k.startsWith('node-role.kubernetes.io/'))
    .map((k) => k.slice('node-role.kubernetes.io/'.length))
    .filter(Boolean);
  return roles.length ? roles.sort().join(',') : '<none>';
}

function nodeAddress(obj: UntypedObject, type: string): string {
  const addresses = getPath(obj, ['status', 'addresses']);
  if (!Array.isArray(addresses)) return '<none>';
  const found = addresses.find((a) => isRecord(a) && a.type === type);
  return isRecord(found) && typeof found.address === 'string' ? found.address : '<none>';
}

/** core/v1 Node: cluster-scoped; written by the node agent (its own object and status only). */
export const nodes: ResourceDef = {
  ...identity(resources.nodes),
  singular: 'node',
  shortNames: ['no'],
  categories: [],
  subresources: ['status'],
  statusField: 'status',
  validate: (obj) => checkNodeName(nameOf(obj)),
  validateUpdate: podCidrSetOnce,
  columns: [
    nameColumn,
    column('Status', 'The status of the node'),
    column('Roles', 'The roles of the node'),
    ageColumn,
    column('Version', 'Kubelet Version reported by the node.'),
    column('Internal-IP', 'List of internal IPs in the node.', 1),
    column('External-IP', 'List of external IPs in the node.', 1),
    column('OS-Image', 'OS image reported by the node.', 1),
    column('Kernel-Version', 'Kernel version reported by the node.', 1),
    column('Container-Runtime', 'Container runtime and version reported by the node.', 1),
  ],
  cells: (obj, now) => {
    const info = (p: string) => String(getPath(obj, ['status', 'nodeInfo', p]) ?? '<unknown>');
    return [
      nameOf(obj),
      nodeStatus(obj),
      nodeRoles(obj),
      ageOf(obj, now),
      String(getPath(obj, ['status', 'nodeInfo', 'kubeletVersion']) ?? ''),
      nodeAddress(obj, 'InternalIP'),
      nodeAddress(obj, 'ExternalIP'),
      info('osImage'),
      info('kernelVersion'),
      info('containerRuntimeVersion'),
    ];
  },
  selectableFields: ['spec.unschedulable'],
};

/**
 * A node's pod range may go from unset to set, never change afterwards (as kube-apiserver's
 * ValidateNodeUpdate): pods already have addresses from it and peers route it to this node.
 */
function podCidrSetOnce(obj: UntypedObject, old: UntypedObject): StatusCause[] {
  const causes: StatusCause[] = [];
  for (const field of ['podCIDR', 'podCIDRs'] as const) {
    const before = getPath(old, ['spec', field]);
    const after = getPath(obj, ['spec', field]);
    const unset = before === undefined || before === '' || (Array.isArray(before) && before.length === 0);
    if (!unset && JSON.stringify(before) !== JSON.stringify(after)) {
      causes.push({
        reason: 'FieldValueForbidden',
        field: `spec.${field}`,
        message: 'Forbidden: node updates may not change podCIDR except from "" to valid',
      });
    }
  }
  return causes;
}

function checkNodeName(name: string): StatusCause[] {
  return /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(name) && name.length <= 253
    ? []
    : [
        {
          reason: 'FieldValueInvalid',
          field: 'metadata.name',
          message: `Invalid value: "${name}": a lowercase RFC 1123 subdomain is required`,
        },
      ];
}

function defaultContainer(c: unknown): void {
  if (!isRecord(c)) return;
  const image = typeof c.image === 'string' ? c.image : '';
  const tagged = /:[^/]+$/.test(image) && !image.endsWith(':latest');
  c.imagePullPolicy ??= tagged || image.includes('@') ? 'IfNotPresent' : 'Always';
  c.terminationMessagePath ??= '/dev/termination-log';
  c.terminationMessagePolicy ??= 'File';
  c.resources ??= {};
  if (Array.isArray(c.ports)) for (const p of c.ports) if (isRecord(p)) p.protocol ??= 'TCP';
}

/** Pod-spec defaults shared by pods and every pod template. */
export function defaultPodSpec(spec: Record<string, unknown>): void {
  spec.restartPolicy ??= 'Always';
  spec.terminationGracePeriodSeconds ??= 30;
  spec.dnsPolicy ??= 'ClusterFirst';
  spec.schedulerName ??= 'default-scheduler';
  spec.securityContext ??= {};
  spec.serviceAccountName ??= (spec.serviceAccount as string | undefined) ?? 'default';
  spec.serviceAccount ??= spec.serviceAccountName;
  spec.enableServiceLinks ??= true;
  spec.preemptionPolicy ??= 'PreemptLowerPriority';
  spec.priority ??= 0;
  for (const list of [spec.containers, spec.initContainers])
    if (Array.isArray(list)) list.forEach(defaultContainer);
}

function podReady(obj: UntypedObject): string {
  const containers = getPath(obj, ['spec', 'containers']);
  const total = Array.isArray(containers) ? containers.length : 0;
  const statuses = getPath(obj, ['status', 'containerStatuses']);
  const ready = Array.isArray(statuses) ? statuses.filter((s) => isRecord(s) && s.ready === true).length : 0;
  return `${ready}/${total}`;
}

function podRestarts(obj: UntypedObject): number {
  const statuses = getPath(obj, ['status', 'containerStatuses']);
  if (!Array.isArray(statuses)) return 0;
  return statuses.reduce(
    (n: number, s) => n + (isRecord(s) && typeof s.restartCount === 'number' ? s.restartCount : 0),
    0,
  );
}

/** The STATUS column kubectl shows: waiting/terminated reasons win over the phase. */
export function podDisplayStatus(obj: UntypedObject): string {
  if (obj.metadata?.deletionTimestamp) return 'Terminating';
  let reason = String(getPath(obj, ['status', 'reason']) ?? getPath(obj, ['status', 'phase']) ?? 'Pending');
  const statuses = getPath(obj, ['status', 'containerStatuses']);
  if (Array.isArray(statuses)) {
    for (const s of statuses) {
      const waiting = getPath(s, ['state', 'waiting', 'reason']);
      const terminated = getPath(s, ['state', 'terminated', 'reason']);
      if (typeof waiting === 'string' && waiting) reason = waiting;
      else if (typeof terminated === 'string' && terminated) reason = terminated;
    }
  }
  return reason;
}

/** core/v1 Pod, with status, binding, log, exec and portforward subresources. */
export const pods: ResourceDef = {
  ...identity(resources.pods),
  singular: 'pod',
  shortNames: ['po'],
  categories: ['all'],
  subresources: ['status', 'binding', 'eviction', 'log', 'exec', 'portforward'],
  statusField: 'status',
  defaults(obj) {
    defaultPodSpec(ensureRecord(obj, 'spec'));
    const status = ensureRecord(obj, 'status');
    status.phase ??= 'Pending';
    status.qosClass ??= 'BestEffort';
  },
  validate(obj) {
    return checkPodSpec(obj.spec, 'spec');
  },
  validateUpdate(obj, old) {
    const strip = (spec: unknown) => {
      const copy = JSON.parse(JSON.stringify(spec ?? {})) as Record<string, unknown>;
      for (const key of ['containers', 'initContainers']) {
        const list = copy[key];
        if (Array.isArray(list)) for (const c of list) if (isRecord(c)) delete c.image;
      }
      delete copy.activeDeadlineSeconds;
      delete copy.tolerations;
      return JSON.stringify(copy);
    };
    if (strip(obj.spec) === strip(old.spec)) return [];
    return [
      {
        reason: 'FieldValueForbidden',
        field: 'spec',
        message:
          'Forbidden: pod updates may not change fields other than `spec.containers[*].image`, `spec.initContainers[*].image`, `spec.activeDeadlineSeconds` or `spec.tolerations`',
      },
    ];
  },
  columns: [
    nameColumn,
    column('Ready', 'The aggregate readiness state of this pod for accepting traffic.'),
    column('Status', 'The aggregate status of the containers in this pod.'),
    column('Restarts', 'The number of times the containers in this pod have been restarted.', 0, 'string'),
    ageColumn,
    column('IP', 'IP address allocated to the pod.', 1),
    column('Node', 'Name of the node on which the pod is scheduled.', 1),
    column('Nominated Node', 'Name of the node where the pod is nominated.', 1),
    column('Readiness Gates', 'Pod readiness gates.', 1),
  ],
  cells: (obj, now) => [
    nameOf(obj),
    podReady(obj),
    podDisplayStatus(obj),
    String(podRestarts(obj)),
    ageOf(obj, now),
    String(getPath(obj, ['status', 'podIP']) ?? '<none>'),
    String(getPath(obj, ['spec', 'nodeName']) ?? '<none>'),
    String(getPath(obj, ['status', 'nominatedNodeName']) ?? '<none>'),
    '<none>',
  ],
  selectableFields: [
    'spec.nodeName',
    'spec.restartPolicy',
    'spec.schedulerName',
    'spec.serviceAccountName',
    'status.phase',
    'status.podIP',
    'status.nominatedNodeName',
  ],
};

/** `age` re-exported for kinds that print other timestamps (events' LAST SEEN). */
export { age };
