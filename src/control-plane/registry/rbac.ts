import { resources } from '../../client/types.js';
import type { StatusCause, UntypedObject } from '../../kube/index.js';
import { ageColumn, ageOf, column, createdAt, nameColumn, nameOf } from './columns.js';
import { identity, type ResourceDef, type TableColumn } from './types.js';
import { getPath, invalid, isRecord, required, unsupported } from './validation.js';

/** rbac.authorization.k8s.io/v1: Role, ClusterRole, RoleBinding, ClusterRoleBinding (validation as upstream's pkg/apis/rbac/validation). */

const RBAC_GROUP = 'rbac.authorization.k8s.io';

/** `path.IsValidPathSegmentName`, which RBAC names follow (they may contain `:`). */
function checkPathSegmentName(name: string, field: string): StatusCause[] {
  if (name === '.' || name === '..') return [invalid(field, name, `may not be '${name}'`)];
  for (const bad of ['/', '%'])
    if (name.includes(bad)) return [invalid(field, name, `may not contain '${bad}'`)];
  return [];
}

function strings(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

function checkRules(obj: UntypedObject, namespaced: boolean): StatusCause[] {
  const causes: StatusCause[] = [];
  const rules = obj.rules;
  if (rules !== undefined && rules !== null && !Array.isArray(rules))
    return [invalid('rules', rules, 'must be a list of policy rules')];
  strings(rules).forEach((r, i) => {
    const at = `rules[${i}]`;
    if (!isRecord(r)) {
      causes.push(invalid(at, r, 'must be a policy rule object'));
      return;
    }
    for (const f of ['verbs', 'apiGroups', 'resources', 'resourceNames', 'nonResourceURLs']) {
      const v = r[f];
      if (v !== undefined && v !== null && (!Array.isArray(v) || v.some((s) => typeof s !== 'string')))
        causes.push(invalid(`${at}.${f}`, v, 'must be a list of strings'));
    }
    if (strings(r.verbs).length === 0)
      causes.push(required(`${at}.verbs`, 'verbs must contain at least one value'));
    if (strings(r.nonResourceURLs).length > 0) {
      if (namespaced)
        causes.push(
          invalid(
            `${at}.nonResourceURLs`,
            r.nonResourceURLs,
            'namespaced rules cannot apply to non-resource URLs',
          ),
        );
      if (strings(r.apiGroups).length || strings(r.resources).length || strings(r.resourceNames).length)
        causes.push(
          invalid(
            `${at}.nonResourceURLs`,
            r.nonResourceURLs,
            'rules cannot apply to both regular resources and non-resource URLs',
          ),
        );
      return;
    }
    if (strings(r.apiGroups).length === 0)
      causes.push(required(`${at}.apiGroups`, 'resource rules must supply at least one api group'));
    if (strings(r.resources).length === 0)
      causes.push(required(`${at}.resources`, 'resource rules must supply at least one resource'));
  });
  return causes;
}

function checkAggregation(obj: UntypedObject): StatusCause[] {
  const agg = obj.aggregationRule;
  if (agg === undefined || agg === null) return [];
  if (!isRecord(agg)) return [invalid('aggregationRule', agg, 'must be an object')];
  const selectors = agg.clusterRoleSelectors;
  if (selectors !== undefined && !Array.isArray(selectors))
    return [invalid('aggregationRule.clusterRoleSelectors', selectors, 'must be a list of label selectors')];
  const causes: StatusCause[] = [];
  strings(selectors).forEach((s, i) => {
    if (!isRecord(s))
      causes.push(invalid(`aggregationRule.clusterRoleSelectors[${i}]`, s, 'must be a label selector'));
  });
  return causes;
}

function defaultSubjects(obj: UntypedObject): void {
  for (const s of strings(obj.subjects)) {
    if (!isRecord(s)) continue;
    if (s.apiGroup === undefined && (s.kind === 'User' || s.kind === 'Group')) s.apiGroup = RBAC_GROUP;
    if (s.apiGroup === undefined && s.kind === 'ServiceAccount') s.apiGroup = '';
  }
  if (isRecord(obj.roleRef) && obj.roleRef.apiGroup === undefined) obj.roleRef.apiGroup = RBAC_GROUP;
}

function checkBinding(obj: UntypedObject, namespaced: boolean): StatusCause[] {
  const causes: StatusCause[] = [];
  const ref = obj.roleRef;
  if (!isRecord(ref)) {
    causes.push(required('roleRef'));
  } else {
    const kinds = namespaced ? ['Role', 'ClusterRole'] : ['ClusterRole'];
    if (ref.apiGroup !== RBAC_GROUP)
      causes.push(unsupported('roleRef.apiGroup', ref.apiGroup ?? '', [RBAC_GROUP]));
    if (!kinds.includes(String(ref.kind))) causes.push(unsupported('roleRef.kind', ref.kind ?? '', kinds));
    if (typeof ref.name !== 'string' || !ref.name) causes.push(required('roleRef.name'));
    else causes.push(...checkPathSegmentName(ref.name, 'roleRef.name'));
  }
  const subjects = obj.subjects;
  if (subjects !== undefined && subjects !== null && !Array.isArray(subjects))
    return [...causes, invalid('subjects', subjects, 'must be a list of subjects')];
  strings(subjects).forEach((s, i) => {
    const at = `subjects[${i}]`;
    if (!isRecord(s)) {
      causes.push(invalid(at, s, 'must be a subject object'));
      return;
    }
    if (typeof s.name !== 'string' || !s.name) causes.push(required(`${at}.name`));
    switch (s.kind) {
      case 'ServiceAccount':
        if (s.apiGroup !== '') causes.push(unsupported(`${at}.apiGroup`, s.apiGroup, ['']));
        if (!namespaced && (typeof s.namespace !== 'string' || !s.namespace))
          causes.push(required(`${at}.namespace`));
        break;
      case 'User':
      case 'Group':
        if (s.apiGroup !== RBAC_GROUP) causes.push(unsupported(`${at}.apiGroup`, s.apiGroup, [RBAC_GROUP]));
        break;
      default:
        causes.push(unsupported(`${at}.kind`, s.kind ?? '', ['ServiceAccount', 'User', 'Group']));
    }
  });
  return causes;
}

function roleRefImmutable(obj: UntypedObject, old: UntypedObject): StatusCause[] {
  return JSON.stringify(obj.roleRef ?? null) === JSON.stringify(old.roleRef ?? null)
    ? []
    : [invalid('roleRef', obj.roleRef, 'cannot change roleRef')];
}

const roleCells = (obj: UntypedObject): unknown[] => [nameOf(obj), obj.metadata?.creationTimestamp ?? ''];

function subjectNames(obj: UntypedObject, kind: string): string {
  return strings(obj.subjects)
    .filter((s) => isRecord(s) && s.kind === kind)
    .map((s) => {
      const r = s as Record<string, unknown>;
      return kind === 'ServiceAccount' ? `${String(r.namespace ?? '')}/${String(r.name)}` : String(r.name);
    })
    .join(', ');
}

const bindingColumns: TableColumn[] = [
  nameColumn,
  column('Role', 'RoleRef is the reference to the role.'),
  ageColumn,
  column('Users', 'Users in the binding', 1),
  column('Groups', 'Groups in the binding', 1),
  column('ServiceAccounts', 'ServiceAccounts in the binding', 1),
];

function bindingCells(obj: UntypedObject, now: Date): unknown[] {
  return [
    nameOf(obj),
    `${String(getPath(obj, ['roleRef', 'kind']) ?? '')}/${String(getPath(obj, ['roleRef', 'name']) ?? '')}`,
    ageOf(obj, now),
    subjectNames(obj, 'User'),
    subjectNames(obj, 'Group'),
    subjectNames(obj, 'ServiceAccount'),
  ];
}

const common = {
  shortNames: [] as string[],
  categories: [] as string[],
  subresources: [] as [],
  validateName: checkPathSegmentName,
};

export const roles: ResourceDef = {
  ...identity(resources.roles),
  singular: 'role',
  ...common,
  validate: (obj) => checkRules(obj, true),
  columns: [nameColumn, createdAt],
  cells: roleCells,
};

export const clusterroles: ResourceDef = {
  ...identity(resources.clusterRoles),
  singular: 'clusterrole',
  ...common,
  validate: (obj) => [...checkRules(obj, false), ...checkAggregation(obj)],
  columns: [nameColumn, createdAt],
  cells: roleCells,
};

export const rolebindings: ResourceDef = {
  ...identity(resources.roleBindings),
  singular: 'rolebinding',
  ...common,
  defaults: defaultSubjects,
  validate: (obj) => checkBinding(obj, true),
  validateUpdate: roleRefImmutable,
  columns: bindingColumns,
  cells: bindingCells,
};

export const clusterrolebindings: ResourceDef = {
  ...identity(resources.clusterRoleBindings),
  singular: 'clusterrolebinding',
  ...common,
  defaults: defaultSubjects,
  validate: (obj) => checkBinding(obj, false),
  validateUpdate: roleRefImmutable,
  columns: bindingColumns,
  cells: bindingCells,
};

function review(
  r: (typeof resources)[
    | 'selfSubjectAccessReviews'
    | 'selfSubjectRulesReviews'
    | 'subjectAccessReviews'
    | 'localSubjectAccessReviews'
    | 'selfSubjectReviews'
    | 'tokenReviews'],
  singular: string,
): ResourceDef {
  return {
    ...identity(r),
    singular,
    ...common,
    verbs: ['create'],
    columns: [nameColumn],
    cells: (obj) => [nameOf(obj)],
  };
}

/** authorization.k8s.io/v1 and authentication.k8s.io/v1 reviews: create-only, answered, never stored. */
export const selfsubjectaccessreviews = review(resources.selfSubjectAccessReviews, 'selfsubjectaccessreview');
export const selfsubjectrulesreviews = review(resources.selfSubjectRulesReviews, 'selfsubjectrulesreview');
export const subjectaccessreviews = review(resources.subjectAccessReviews, 'subjectaccessreview');
export const localsubjectaccessreviews = review(
  resources.localSubjectAccessReviews,
  'localsubjectaccessreview',
);
export const selfsubjectreviews = review(resources.selfSubjectReviews, 'selfsubjectreview');
export const tokenreviews = review(resources.tokenReviews, 'tokenreview');
