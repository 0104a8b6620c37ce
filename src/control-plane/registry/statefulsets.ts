import { isDeepStrictEqual } from 'node:util';
import { resources } from '../../client/types.js';
import type { StatusCause, UntypedObject } from '../../kube/index.js';
import { ageColumn, ageOf, column, nameColumn, nameOf, num } from './columns.js';
import { defaultClaimSpec } from './storage.js';
import { identity, type ResourceDef } from './types.js';
import {
  checkStatefulSet,
  checkStatefulSetUpdate,
  ensureRecord,
  getPath,
  invalid,
  isRecord,
  nonNegativeAt,
  required,
} from './validation.js';
import { defaultTemplate, replicaScale, selectorImmutable, wideCells, wideColumns } from './workloads.js';

/** apps/v1 defaults of a StatefulSet (SetDefaults_StatefulSet, with the GA claim retention policy). */
function defaultStatefulSet(obj: UntypedObject): void {
  const spec = ensureRecord(obj, 'spec');
  spec.replicas ??= 1;
  spec.revisionHistoryLimit ??= 10;
  spec.podManagementPolicy ??= 'OrderedReady';
  const strategy = ensureRecord(spec, 'updateStrategy');
  strategy.type ??= 'RollingUpdate';
  if (strategy.type === 'RollingUpdate') ensureRecord(strategy, 'rollingUpdate').partition ??= 0;
  const retention = ensureRecord(spec, 'persistentVolumeClaimRetentionPolicy');
  retention.whenDeleted ??= 'Retain';
  retention.whenScaled ??= 'Retain';
  if (Array.isArray(spec.volumeClaimTemplates)) {
    for (const t of spec.volumeClaimTemplates) {
      if (!isRecord(t)) continue;
      t.apiVersion ??= 'v1';
      t.kind ??= 'PersistentVolumeClaim';
      ensureRecord(t, 'metadata');
      defaultClaimSpec(ensureRecord(t, 'spec'));
      ensureRecord(t, 'status').phase ??= 'Pending';
    }
  }
  defaultTemplate(obj);
}

/** apps/v1 StatefulSet with status and scale subresources (kubectl's `sts`). */
export const statefulsets: ResourceDef = {
  ...identity(resources.statefulSets),
  singular: 'statefulset',
  shortNames: ['sts'],
  categories: ['all'],
  subresources: ['status', 'scale'],
  statusField: 'status',
  scale: replicaScale,
  defaults: defaultStatefulSet,
  validate: checkStatefulSet,
  validateUpdate: (obj, old) => [...selectorImmutable(obj, old), ...checkStatefulSetUpdate(obj, old)],
  columns: [nameColumn, column('Ready', 'Number of the pod with ready state'), ageColumn, ...wideColumns],
  cells: (obj, now) => [
    nameOf(obj),
    `${num(obj, ['status', 'readyReplicas'])}/${num(obj, ['spec', 'replicas'])}`,
    ageOf(obj, now),
    ...wideCells(obj),
  ],
};

/** `CONTROLLER` cell of a revision: `statefulset.apps/web`, or `<none>`. */
function controllerCell(obj: UntypedObject): string {
  const refs = obj.metadata?.ownerReferences ?? [];
  const ref = refs.find((r) => r.controller) ?? undefined;
  if (!ref) return '<none>';
  const group = ref.apiVersion.includes('/') ? ref.apiVersion.split('/')[0] : '';
  return `${ref.kind.toLowerCase()}${group ? `.${group}` : ''}/${ref.name}`;
}

function checkRevision(obj: UntypedObject): StatusCause[] {
  const causes: StatusCause[] = [];
  if (obj.data === undefined || obj.data === null) causes.push(required('data', 'data is mandatory'));
  nonNegativeAt(obj.revision, 'revision', causes);
  return causes;
}

/** apps/v1 ControllerRevision: an immutable snapshot of a template, with a revision number. */
export const controllerrevisions: ResourceDef = {
  ...identity(resources.controllerRevisions),
  singular: 'controllerrevision',
  shortNames: [],
  categories: [],
  subresources: [],
  defaults(obj) {
    obj.revision ??= 0;
  },
  validate: checkRevision,
  validateUpdate: (obj, old) =>
    isDeepStrictEqual(obj.data, old.data)
      ? []
      : [invalid('data', getPath(obj, ['data']) ?? null, 'field is immutable')],
  columns: [
    nameColumn,
    column('Controller', 'Controller of the object.'),
    column('Revision', 'Revision of the ControllerRevision.', 0, 'integer'),
    ageColumn,
  ],
  cells: (obj, now) => [nameOf(obj), controllerCell(obj), num(obj, ['revision']), ageOf(obj, now)],
};
