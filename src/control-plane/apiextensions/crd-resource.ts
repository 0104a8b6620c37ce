import type { UntypedObject } from '../../kube/index.js';
import { age } from '../registry/columns.js';
import type { ResourceDef } from '../registry/types.js';
import { validateCrd, validateCrdRules, validateCrdUpdate } from './crd-validation.js';

/** The group and version CustomResourceDefinitions are served at. */
export const APIEXTENSIONS_GROUP = 'apiextensions.k8s.io';

/** apiextensions.k8s.io/v1 CustomResourceDefinition: cluster-scoped, with a status subresource. */
export const customResourceDefinitions: ResourceDef = {
  group: APIEXTENSIONS_GROUP,
  version: 'v1',
  kind: 'CustomResourceDefinition',
  plural: 'customresourcedefinitions',
  singular: 'customresourcedefinition',
  namespaced: false,
  shortNames: ['crd', 'crds'],
  categories: ['api-extensions'],
  subresources: ['status'],
  statusField: 'status',
  validate: validateCrd,
  validateUpdate: validateCrdUpdate,
  validateWrite: validateCrdRules,
  columns: [
    {
      name: 'Name',
      type: 'string',
      format: 'name',
      description: 'Name must be unique within a namespace.',
      priority: 0,
    },
    {
      name: 'Created At',
      type: 'date',
      format: '',
      description: 'Time the object was created.',
      priority: 0,
    },
  ],
  cells: (obj: UntypedObject, now: Date) => [
    String(obj.metadata?.name ?? ''),
    // kube-apiserver prints the creation time itself for CRDs (RFC 3339), not an age.
    typeof obj.metadata?.creationTimestamp === 'string'
      ? obj.metadata.creationTimestamp
      : age(undefined, now),
  ],
};
