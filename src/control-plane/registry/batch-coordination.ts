import { resources } from '../../client/types.js';
import type { UntypedObject } from '../../kube/index.js';
import { ageColumn, ageOf, column, humanDuration, nameColumn, nameOf, num } from './columns.js';
import { checkJobSpecFields, jobImmutable } from './job-validation.js';
import { identity, type ResourceDef } from './types.js';
import {
  checkNonNegativeInt,
  checkPodSpec,
  checkSubdomain,
  ensureRecord,
  getPath,
  isRecord,
} from './validation.js';
import { defaultTemplate, selectorImmutable, wideCells, wideColumns } from './workloads.js';

function jobStatus(obj: UntypedObject): string {
  const conditions = getPath(obj, ['status', 'conditions']);
  if (Array.isArray(conditions)) {
    for (const type of ['Failed', 'Complete', 'Suspended', 'FailureTarget', 'SuccessCriteriaMet']) {
      if (conditions.some((c) => isRecord(c) && c.type === type && c.status === 'True'))
        return type === 'FailureTarget' ? 'FailureTarget' : type;
    }
  }
  return 'Running';
}

function jobDuration(obj: UntypedObject, now: Date): string {
  const start = getPath(obj, ['status', 'startTime']);
  if (typeof start !== 'string') return '';
  const end = getPath(obj, ['status', 'completionTime']);
  const endMs = typeof end === 'string' ? Date.parse(end) : now.getTime();
  return humanDuration(endMs - Date.parse(start));
}

/** batch/v1 Job with a status subresource; the selector is generated from the job's uid. */
export const jobs: ResourceDef = {
  ...identity(resources.jobs),
  singular: 'job',
  shortNames: [],
  categories: ['all'],
  subresources: ['status'],
  statusField: 'status',
  defaults(obj) {
    const spec = ensureRecord(obj, 'spec');
    // kube: both unset means one pod once; parallelism alone means a work queue (completions nil,
    // kept as null so readers tell it from an old object that predates defaulting).
    if ((spec.completions ?? null) === null && (spec.parallelism ?? null) === null) spec.completions = 1;
    spec.completions ??= null;
    spec.parallelism ??= 1;
    spec.backoffLimit ??= 6;
    spec.completionMode ??= 'NonIndexed';
    spec.suspend ??= false;
    const uid = obj.metadata?.uid;
    if (spec.selector === undefined && uid && spec.manualSelector !== true) {
      spec.selector = { matchLabels: { 'batch.kubernetes.io/controller-uid': uid } };
      const meta = ensureRecord(ensureRecord(spec, 'template'), 'metadata');
      const labels = ensureRecord(meta, 'labels');
      labels['batch.kubernetes.io/controller-uid'] = uid;
      labels['batch.kubernetes.io/job-name'] = nameOf(obj);
      labels['controller-uid'] = uid;
      labels['job-name'] = nameOf(obj);
    }
    defaultTemplate(obj);
    const tspec = getPath(obj, ['spec', 'template', 'spec']);
    if (isRecord(tspec) && tspec.restartPolicy === 'Always' && !getPath(obj, ['metadata', 'resourceVersion']))
      tspec.restartPolicy = 'Never';
  },
  validate(obj) {
    const causes = [
      ...checkSubdomain(nameOf(obj), 'metadata.name'),
      ...checkPodSpec(getPath(obj, ['spec', 'template', 'spec']), 'spec.template.spec', [
        'OnFailure',
        'Never',
      ]),
    ];
    for (const f of ['parallelism', 'completions', 'backoffLimit'])
      causes.push(...checkNonNegativeInt(getPath(obj, ['spec', f]), `spec.${f}`));
    causes.push(...checkJobSpecFields(obj));
    return causes;
  },
  validateUpdate(obj, old) {
    const a = JSON.stringify(getPath(obj, ['spec', 'template']) ?? null);
    const b = JSON.stringify(getPath(old, ['spec', 'template']) ?? null);
    return [
      ...selectorImmutable(obj, old),
      ...jobImmutable(obj, old),
      ...(a === b
        ? []
        : [
            {
              reason: 'FieldValueInvalid',
              field: 'spec.template',
              message: 'Invalid value: field is immutable',
            },
          ]),
    ];
  },
  columns: [
    nameColumn,
    column('Status', 'Status of the job.'),
    column('Completions', 'The completed job.'),
    column('Duration', 'Time required to complete the job.'),
    ageColumn,
    ...wideColumns,
  ],
  cells: (obj, now) => [
    nameOf(obj),
    jobStatus(obj),
    `${num(obj, ['status', 'succeeded'])}/${num(obj, ['spec', 'completions'])}`,
    jobDuration(obj, now),
    ageOf(obj, now),
    ...wideCells(obj),
  ],
};

/** coordination.k8s.io/v1 Lease (node heartbeats live in kube-node-lease). */
export const leases: ResourceDef = {
  ...identity(resources.leases),
  singular: 'lease',
  shortNames: [],
  categories: [],
  subresources: [],
  validate: (obj) =>
    checkNonNegativeInt(getPath(obj, ['spec', 'leaseDurationSeconds']), 'spec.leaseDurationSeconds'),
  columns: [nameColumn, column('Holder', 'The holder of the lease.'), ageColumn],
  cells: (obj, now) => [nameOf(obj), String(getPath(obj, ['spec', 'holderIdentity']) ?? ''), ageOf(obj, now)],
};
