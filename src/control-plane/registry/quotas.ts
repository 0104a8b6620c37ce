import { resources } from '../../client/types.js';
import type { UntypedObject } from '../../kube/index.js';
import { amountOf, formatAmount } from '../admission/amount.js';
import { ageColumn, ageOf, column, createdAt, nameColumn, nameOf } from './columns.js';
import { identity, type ResourceDef } from './types.js';
import { checkLimitRangeSpec, defaultLimitRange } from './validation/limit-range.js';
import { checkResourceQuota } from './validation/resource-quota.js';
import { isRecord } from './validation.js';

/** core/v1 LimitRange: per-namespace defaults and bounds that LimitRanger admission applies. */
export const limitranges: ResourceDef = {
  ...identity(resources.limitRanges),
  singular: 'limitrange',
  shortNames: ['limits'],
  categories: [],
  subresources: [],
  defaults: (obj) => defaultLimitRange(obj.spec),
  validate: (obj) => checkLimitRangeSpec(obj.spec, 'spec'),
  columns: [nameColumn, createdAt],
  cells: (obj) => [nameOf(obj), obj.metadata?.creationTimestamp ?? ''],
};

/** kubectl's REQUEST and LIMIT cells: `name: used/hard` of status.hard, limits.* in the second. */
function quotaCells(obj: UntypedObject): [string, string] {
  const status = isRecord(obj.status) ? obj.status : {};
  const hard = isRecord(status.hard) ? status.hard : {};
  const used = isRecord(status.used) ? status.used : {};
  const request: string[] = [];
  const limit: string[] = [];
  for (const name of Object.keys(hard).sort()) {
    const cell = `${name}: ${formatAmount(amountOf(used[name]))}/${formatAmount(amountOf(hard[name]))}`;
    (name.split('.').length > 1 && name.startsWith('limits.') ? limit : request).push(cell);
  }
  return [request.join(', '), limit.join(', ')];
}

/** core/v1 ResourceQuota: hard limits per namespace; status.used is charged by admission. */
export const resourcequotas: ResourceDef = {
  ...identity(resources.resourceQuotas),
  singular: 'resourcequota',
  shortNames: ['quota'],
  categories: [],
  subresources: ['status'],
  statusField: 'status',
  validate: (obj) => checkResourceQuota(obj.spec, obj.status),
  columns: [
    nameColumn,
    ageColumn,
    column('Request', 'Request represents a minimum amount of cpu/memory that a container may consume.'),
    column(
      'Limit',
      'Limits control the maximum amount of cpu/memory that a container may use independent of contention on the node.',
    ),
  ],
  cells: (obj, now) => [nameOf(obj), ageOf(obj, now), ...quotaCells(obj)],
};
