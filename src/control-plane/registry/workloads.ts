import { resources } from '../../client/types.js';
import type { StatusCause, UntypedObject } from '../../kube/index.js';
import {
  ageColumn,
  ageOf,
  column,
  containersAndImages,
  nameColumn,
  nameOf,
  num,
  selectorString,
} from './columns.js';
import { defaultPodSpec } from './core-nodes-pods.js';
import { identity, type ResourceDef, type TableColumn } from './types.js';
import {
  checkDaemonSetStrategy,
  checkDeploymentStrategy,
  checkLabels,
  checkNonNegativeInt,
  checkPodSpec,
  checkSelectorMatches,
  checkSubdomain,
  ensureRecord,
  getPath,
} from './validation.js';

/** The `-o wide` columns of workloads: containers, images, selector. */
export const wideColumns: TableColumn[] = [
  column('Containers', 'Names of each container in the template.', 1),
  column('Images', 'Images referenced by each container in the template.', 1),
  column('Selector', 'Label selector for pods.', 1),
];

/** Cells for {@link wideColumns}. */
export function wideCells(obj: UntypedObject): string[] {
  const [names, images] = containersAndImages(obj, ['spec', 'template', 'spec']);
  return [names, images, selectorString(getPath(obj, ['spec', 'selector']))];
}

/** Defaults a workload's pod template (metadata and pod spec). */
export function defaultTemplate(obj: UntypedObject): void {
  const spec = ensureRecord(obj, 'spec');
  const template = ensureRecord(spec, 'template');
  ensureRecord(template, 'metadata');
  defaultPodSpec(ensureRecord(template, 'spec'));
}

function validateWorkload(obj: UntypedObject): StatusCause[] {
  return [
    ...checkSubdomain(nameOf(obj), 'metadata.name'),
    ...checkSelectorMatches(obj, 'spec', obj.kind === 'DaemonSet' ? 'daemonset' : 'deployment'),
    ...checkLabels(getPath(obj, ['spec', 'template', 'metadata', 'labels']), 'spec.template.metadata.labels'),
    // Pods of Deployments, ReplicaSets and DaemonSets always restart.
    ...checkPodSpec(getPath(obj, ['spec', 'template', 'spec']), 'spec.template.spec', ['Always']),
    ...checkNonNegativeInt(getPath(obj, ['spec', 'replicas']), 'spec.replicas'),
    ...(obj.kind === 'Deployment'
      ? checkDeploymentStrategy(getPath(obj, ['spec', 'strategy']), 'spec.strategy')
      : []),
    ...(obj.kind === 'DaemonSet'
      ? checkDaemonSetStrategy(getPath(obj, ['spec', 'updateStrategy']), 'spec.updateStrategy')
      : []),
  ];
}

/** Refuses a changed `spec.selector` (immutable in apps/v1 and batch/v1). */
export function selectorImmutable(obj: UntypedObject, old: UntypedObject): StatusCause[] {
  const a = JSON.stringify(getPath(obj, ['spec', 'selector']) ?? null);
  const b = JSON.stringify(getPath(old, ['spec', 'selector']) ?? null);
  return a === b
    ? []
    : [
        {
          reason: 'FieldValueInvalid',
          field: 'spec.selector',
          message: `Invalid value: ${a}: field is immutable`,
        },
      ];
}

/** Columns of ReplicaSets and ReplicationControllers: DESIRED CURRENT READY. */
export const replicaColumns: TableColumn[] = [
  nameColumn,
  column('Desired', 'Number of desired pods.', 0, 'integer'),
  column('Current', 'Number of actual running pods.', 0, 'integer'),
  column('Ready', 'Number of ready pods.', 0, 'integer'),
  ageColumn,
  ...wideColumns,
];

/** Cells for {@link replicaColumns}. */
export function replicaCells(obj: UntypedObject, now: Date): unknown[] {
  return [
    nameOf(obj),
    num(obj, ['spec', 'replicas']),
    num(obj, ['status', 'replicas']),
    num(obj, ['status', 'readyReplicas']),
    ageOf(obj, now),
    ...wideCells(obj),
  ];
}

export const replicaScale = { specReplicas: 'replicas', statusReplicas: 'replicas' } as const;

/** apps/v1 Deployment with status and scale subresources. */
export const deployments: ResourceDef = {
  ...identity(resources.deployments),
  singular: 'deployment',
  shortNames: ['deploy'],
  categories: ['all'],
  subresources: ['status', 'scale'],
  statusField: 'status',
  scale: replicaScale,
  defaults(obj) {
    const spec = ensureRecord(obj, 'spec');
    spec.replicas ??= 1;
    spec.revisionHistoryLimit ??= 10;
    spec.progressDeadlineSeconds ??= 600;
    const strategy = ensureRecord(spec, 'strategy');
    if (!strategy.type) strategy.type = 'RollingUpdate';
    if (strategy.type === 'RollingUpdate') {
      const ru = ensureRecord(strategy, 'rollingUpdate');
      ru.maxUnavailable ??= '25%';
      ru.maxSurge ??= '25%';
    }
    defaultTemplate(obj);
  },
  validate: validateWorkload,
  validateUpdate: selectorImmutable,
  columns: [
    nameColumn,
    column('Ready', 'Number of the pod with ready state'),
    column(
      'Up-to-date',
      'Total number of non-terminated pods targeted by this deployment that have the desired template spec.',
      0,
      'integer',
    ),
    column(
      'Available',
      'Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.',
      0,
      'integer',
    ),
    ageColumn,
    ...wideColumns,
  ],
  cells: (obj, now) => [
    nameOf(obj),
    `${num(obj, ['status', 'readyReplicas'])}/${num(obj, ['spec', 'replicas'])}`,
    num(obj, ['status', 'updatedReplicas']),
    num(obj, ['status', 'availableReplicas']),
    ageOf(obj, now),
    ...wideCells(obj),
  ],
};

/** apps/v1 ReplicaSet with status and scale subresources. */
export const replicasets: ResourceDef = {
  ...identity(resources.replicaSets),
  singular: 'replicaset',
  shortNames: ['rs'],
  categories: ['all'],
  subresources: ['status', 'scale'],
  statusField: 'status',
  scale: replicaScale,
  defaults(obj) {
    ensureRecord(obj, 'spec').replicas ??= 1;
    defaultTemplate(obj);
  },
  validate: validateWorkload,
  validateUpdate: selectorImmutable,
  columns: replicaColumns,
  cells: replicaCells,
};

/** apps/v1 DaemonSet with a status subresource. */
export const daemonsets: ResourceDef = {
  ...identity(resources.daemonSets),
  singular: 'daemonset',
  shortNames: ['ds'],
  categories: ['all'],
  subresources: ['status'],
  statusField: 'status',
  defaults(obj) {
    const spec = ensureRecord(obj, 'spec');
    spec.revisionHistoryLimit ??= 10;
    const strategy = ensureRecord(spec, 'updateStrategy');
    if (!strategy.type) strategy.type = 'RollingUpdate';
    if (strategy.type === 'RollingUpdate') {
      const ru = ensureRecord(strategy, 'rollingUpdate');
      ru.maxUnavailable ??= 1;
      ru.maxSurge ??= 0;
    }
    defaultTemplate(obj);
  },
  validate: validateWorkload,
  validateUpdate: selectorImmutable,
  columns: [
    nameColumn,
    column('Desired', 'The desired number of nodes that should be running the daemon pod.', 0, 'integer'),
    column('Current', 'The number of nodes that are running at least one daemon pod.', 0, 'integer'),
    column(
      'Ready',
      'The number of nodes that should be running the daemon pod and have one ready.',
      0,
      'integer',
    ),
    column('Up-to-date', 'The number of nodes running the updated daemon pod.', 0, 'integer'),
    column('Available', 'The number of nodes running the daemon pod available.', 0, 'integer'),
    column('Node Selector', 'The node selector of the template.'),
    ageColumn,
    ...wideColumns,
  ],
  cells: (obj, now) => [
    nameOf(obj),
    num(obj, ['status', 'desiredNumberScheduled']),
    num(obj, ['status', 'currentNumberScheduled']),
    num(obj, ['status', 'numberReady']),
    num(obj, ['status', 'updatedNumberScheduled']),
    num(obj, ['status', 'numberAvailable']),
    selectorString(getPath(obj, ['spec', 'template', 'spec', 'nodeSelector'])),
    ageOf(obj, now),
    ...wideCells(obj),
  ],
};
