import { resources } from '../../client/types.js';
import type { StatusCause, UntypedObject } from '../../kube/index.js';
import { identity, type ResourceDef } from './types.js';
import {
  absent,
  checkLabels,
  checkNonNegativeInt,
  checkPodSpec,
  ensureRecord,
  getPath,
  invalid,
  isRecord,
  required,
} from './validation.js';
import { defaultTemplate, replicaCells, replicaColumns, replicaScale } from './workloads.js';

/** SetDefaults_ReplicationController: selector and labels from the template, one replica. */
function defaultReplicationController(obj: UntypedObject): void {
  const spec = ensureRecord(obj, 'spec');
  spec.replicas ??= 1;
  if (!isRecord(spec.template)) return;
  const labels = getPath(spec.template, ['metadata', 'labels']);
  if (isRecord(labels) && Object.keys(labels).length > 0) {
    if (!isRecord(spec.selector) || Object.keys(spec.selector).length === 0) spec.selector = { ...labels };
    const meta = ensureRecord(obj as Record<string, unknown>, 'metadata');
    if (!isRecord(meta.labels) || Object.keys(meta.labels).length === 0) meta.labels = { ...labels };
  }
  defaultTemplate(obj);
}

/** ValidateReplicationControllerSpec. */
function checkReplicationController(obj: UntypedObject): StatusCause[] {
  const causes: StatusCause[] = [];
  const spec = isRecord(obj.spec) ? obj.spec : {};
  causes.push(...checkNonNegativeInt(spec.replicas, 'spec.replicas'));
  causes.push(...checkNonNegativeInt(spec.minReadySeconds, 'spec.minReadySeconds'));
  const selector = spec.selector;
  if (!isRecord(selector) || Object.keys(selector).length === 0) causes.push(required('spec.selector'));
  else causes.push(...checkLabels(selector, 'spec.selector'));
  if (!isRecord(spec.template)) {
    causes.push(required('spec.template'));
    return causes;
  }
  const labels = getPath(spec.template, ['metadata', 'labels']);
  causes.push(...checkLabels(labels, 'spec.template.metadata.labels'));
  const have = isRecord(labels) ? labels : {};
  if (isRecord(selector) && Object.entries(selector).some(([k, v]) => have[k] !== v))
    causes.push(
      invalid('spec.template.metadata.labels', labels ?? {}, 'selector does not match template labels'),
    );
  causes.push(...checkPodSpec(getPath(spec.template, ['spec']), 'spec.template.spec', ['Always']));
  if (!absent(getPath(spec.template, ['spec', 'activeDeadlineSeconds'])))
    causes.push({
      reason: 'FieldValueForbidden',
      field: 'spec.template.spec.activeDeadlineSeconds',
      message: 'Forbidden: activeDeadlineSeconds in ReplicationController is not Supported',
    });
  return causes;
}

/** core/v1 ReplicationController with status and scale subresources (`kubectl scale rc`). */
export const replicationcontrollers: ResourceDef = {
  ...identity(resources.replicationControllers),
  singular: 'replicationcontroller',
  shortNames: ['rc'],
  categories: ['all'],
  subresources: ['status', 'scale'],
  statusField: 'status',
  scale: replicaScale,
  defaults: defaultReplicationController,
  validate: checkReplicationController,
  columns: replicaColumns,
  cells: replicaCells,
};
