/**
 * The protobuf tables of the kinds the API accepts as protobuf (see protobuf.ts): per message, its
 * field numbers as k8s.io/api's generated.proto gives them, the top-level kinds, and the fields
 * that are pointers in Go.
 */

import { AUTH_MESSAGES } from './protobuf-messages-auth.js';
import { CORE_MESSAGES } from './protobuf-messages-core.js';
import { POLICY_MESSAGES } from './protobuf-messages-policy.js';

export type Field =
  | readonly [
      name: string,
      kind: 'string' | 'int' | 'bool' | 'bytes' | 'time' | 'intOrString' | 'quantity' | 'fieldsV1' | 'skip',
    ]
  | readonly [name: string, kind: 'message', message: string]
  | readonly [name: string, kind: 'repeated', of: 'string' | string]
  | readonly [name: string, kind: 'map', value: 'string' | 'bytes' | 'quantity' | 'ExtraValue'];

export type Schema = Readonly<Record<number, Field>>;

export const S: Record<string, Schema> = { ...CORE_MESSAGES, ...AUTH_MESSAGES, ...POLICY_MESSAGES };

/** Top-level kinds whose protobuf bodies are accepted. */
export const KINDS = new Set([
  'Namespace',
  'ConfigMap',
  'Secret',
  'ServiceAccount',
  'Service',
  'Deployment',
  'Job',
  'Role',
  'ClusterRole',
  'RoleBinding',
  'ClusterRoleBinding',
  'SelfSubjectAccessReview',
  'SelfSubjectRulesReview',
  'SubjectAccessReview',
  'SelfSubjectReview',
  'CronJob',
  'TokenRequest',
  'CertificateSigningRequest',
  'PodDisruptionBudget',
  'Eviction',
  'ResourceQuota',
  'autoscaling/v1/HorizontalPodAutoscaler',
]);

/**
 * Fields that are pointers in Go, where an explicit 0 or false is data. Everywhere else Go writes
 * zero values of plain fields, which its JSON encoding would omit, so they decode as unset.
 */
export const POINTER_FIELDS = new Set([
  'replicas',
  'parallelism',
  'completions',
  'backoffLimit',
  'activeDeadlineSeconds',
  'terminationGracePeriodSeconds',
  'revisionHistoryLimit',
  'progressDeadlineSeconds',
  'ttlSecondsAfterFinished',
  'deletionGracePeriodSeconds',
  'immutable',
  'automountServiceAccountToken',
  'manualSelector',
  'suspend',
  'startingDeadlineSeconds',
  'priority',
  'enableServiceLinks',
  'successfulJobsHistoryLimit',
  'failedJobsHistoryLimit',
  'expirationSeconds',
  'controller',
  'blockOwnerDeletion',
  'gracePeriodSeconds',
  'orphanDependents',
  'minReplicas',
  'targetCPUUtilizationPercentage',
]);
