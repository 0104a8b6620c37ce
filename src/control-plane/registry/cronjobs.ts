import { resources } from '../../client/types.js';
import { isKnownTimeZone, parseCronFields } from '../../kube/cron-schedule.js';
import type { StatusCause, UntypedObject } from '../../kube/index.js';
import { jobs } from './batch-coordination.js';
import {
  age,
  ageColumn,
  ageOf,
  column,
  containersAndImages,
  nameColumn,
  nameOf,
  selectorString,
} from './columns.js';
import { defaultPodSpec } from './core-nodes-pods.js';
import { identity, type ResourceDef } from './types.js';
import {
  checkNonNegativeInt,
  ensureRecord,
  getPath,
  invalid,
  isRecord,
  required,
  unsupported,
} from './validation.js';
import { wideColumns } from './workloads.js';

const policies = ['Allow', 'Forbid', 'Replace'] as const;

/** Job names are `<cronjob>-<minutes since epoch>` (11 more characters) and must stay DNS labels. */
const maxNameLength = 52;

function checkSchedule(obj: UntypedObject): StatusCause[] {
  const schedule = getPath(obj, ['spec', 'schedule']);
  if (typeof schedule !== 'string' || schedule === '') return [required('spec.schedule')];
  // Upstream refuses a zone inside the schedule: the `timeZone` field is the one way to set it.
  if (schedule.includes('TZ'))
    return [
      invalid('spec.schedule', schedule, 'cannot use TZ or CRON_TZ in schedule, use timeZone field instead'),
    ];
  const parsed = parseCronFields(schedule);
  return typeof parsed === 'string' ? [invalid('spec.schedule', schedule, parsed)] : [];
}

function checkTimeZone(obj: UntypedObject): StatusCause[] {
  const tz = getPath(obj, ['spec', 'timeZone']);
  if (tz === undefined || tz === null) return [];
  if (typeof tz !== 'string' || tz === '')
    return [invalid('spec.timeZone', tz, 'timeZone must be nil or non-empty string')];
  if (tz.toLowerCase() === 'local')
    return [
      invalid(
        'spec.timeZone',
        tz,
        'timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones',
      ),
    ];
  return isKnownTimeZone(tz) ? [] : [invalid('spec.timeZone', tz, `unknown time zone ${tz}`)];
}

/** The job template checked as the Job it will become, its paths moved under spec.jobTemplate. */
function checkJobTemplate(obj: UntypedObject): StatusCause[] {
  const spec = getPath(obj, ['spec', 'jobTemplate', 'spec']);
  if (!isRecord(spec)) return [required('spec.jobTemplate.spec')];
  const asJob = { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'x' }, spec } as UntypedObject;
  return (jobs.validate?.(asJob) ?? []).map((c) => ({
    ...c,
    field: c.field?.replace(/^spec\./, 'spec.jobTemplate.spec.'),
  }));
}

/** batch/v1 CronJob with a status subresource. */
export const cronjobs: ResourceDef = {
  ...identity(resources.cronJobs),
  singular: 'cronjob',
  shortNames: ['cj'],
  categories: ['all'],
  subresources: ['status'],
  statusField: 'status',
  defaults(obj) {
    const spec = ensureRecord(obj, 'spec');
    spec.concurrencyPolicy ??= 'Allow';
    spec.suspend ??= false;
    spec.successfulJobsHistoryLimit ??= 3;
    spec.failedJobsHistoryLimit ??= 1;
    const template = getPath(spec, ['jobTemplate', 'spec', 'template']);
    if (isRecord(template)) {
      ensureRecord(template, 'metadata');
      const podSpec = ensureRecord(template, 'spec');
      // As for Jobs: a template without a restart policy runs once (Always is refused for jobs).
      podSpec.restartPolicy ??= 'Never';
      defaultPodSpec(podSpec);
    }
  },
  validate(obj) {
    const name = nameOf(obj);
    const causes: StatusCause[] = [];
    if (name.length > maxNameLength)
      causes.push(invalid('metadata.name', name, `must be no more than ${maxNameLength} characters`));
    causes.push(...checkSchedule(obj), ...checkTimeZone(obj));
    const policy = getPath(obj, ['spec', 'concurrencyPolicy']);
    if (policy !== undefined && !policies.includes(policy as (typeof policies)[number]))
      causes.push(unsupported('spec.concurrencyPolicy', policy, policies));
    for (const f of ['startingDeadlineSeconds', 'successfulJobsHistoryLimit', 'failedJobsHistoryLimit'])
      causes.push(...checkNonNegativeInt(getPath(obj, ['spec', f]), `spec.${f}`));
    causes.push(...checkJobTemplate(obj));
    return causes;
  },
  columns: [
    nameColumn,
    column('Schedule', 'The schedule in Cron format, see https://en.wikipedia.org/wiki/Cron.'),
    column(
      'Timezone',
      'The time zone name for the given schedule, see https://en.wikipedia.org/wiki/Tz_database.',
    ),
    column('Suspend', 'This flag tells the controller to suspend subsequent executions.', 0, 'boolean'),
    column('Active', 'A list of pointers to currently running jobs.', 0, 'integer'),
    column('Last Schedule', 'Information when was the last time the job was successfully scheduled.'),
    ageColumn,
    ...wideColumns,
  ],
  cells: (obj, now) => {
    const [names, images] = containersAndImages(obj, ['spec', 'jobTemplate', 'spec', 'template', 'spec']);
    const tz = getPath(obj, ['spec', 'timeZone']);
    const active = getPath(obj, ['status', 'active']);
    const last = getPath(obj, ['status', 'lastScheduleTime']);
    return [
      nameOf(obj),
      String(getPath(obj, ['spec', 'schedule']) ?? ''),
      typeof tz === 'string' ? tz : '<none>',
      getPath(obj, ['spec', 'suspend']) === true ? 'True' : 'False',
      Array.isArray(active) ? active.length : 0,
      typeof last === 'string' ? age(last, now) : '<none>',
      ageOf(obj, now),
      names,
      images,
      selectorString(getPath(obj, ['spec', 'jobTemplate', 'spec', 'selector'])),
    ];
  },
};
