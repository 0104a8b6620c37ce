import type { Schema } from './protobuf-schemas.js';

/** Protobuf field tables (generated.proto numbers) of policy/v1 (PodDisruptionBudget, Eviction and its DeleteOptions), autoscaling/v1 and core/v1 ResourceQuota. */
export const POLICY_MESSAGES: Record<string, Schema> = {
  PodDisruptionBudget: {
    1: ['metadata', 'message', 'ObjectMeta'],
    2: ['spec', 'message', 'PodDisruptionBudgetSpec'],
    3: ['status', 'skip'],
  },
  PodDisruptionBudgetSpec: {
    1: ['minAvailable', 'intOrString'],
    2: ['selector', 'message', 'LabelSelector'],
    3: ['maxUnavailable', 'intOrString'],
    4: ['unhealthyPodEvictionPolicy', 'string'],
  },
  // autoscaling/v1 (kubectl autoscale); v2's HorizontalPodAutoscalerSpec numbers its fields otherwise.
  'autoscaling/v1/HorizontalPodAutoscaler': {
    1: ['metadata', 'message', 'ObjectMeta'],
    2: ['spec', 'message', 'autoscaling/v1/HorizontalPodAutoscalerSpec'],
    3: ['status', 'skip'],
  },
  'autoscaling/v1/HorizontalPodAutoscalerSpec': {
    1: ['scaleTargetRef', 'message', 'CrossVersionObjectReference'],
    2: ['minReplicas', 'int'],
    3: ['maxReplicas', 'int'],
    4: ['targetCPUUtilizationPercentage', 'int'],
  },
  CrossVersionObjectReference: {
    1: ['kind', 'string'],
    2: ['name', 'string'],
    3: ['apiVersion', 'string'],
  },
  Eviction: {
    1: ['metadata', 'message', 'ObjectMeta'],
    2: ['deleteOptions', 'message', 'DeleteOptions'],
  },
  DeleteOptions: {
    1: ['gracePeriodSeconds', 'int'],
    2: ['preconditions', 'message', 'Preconditions'],
    3: ['orphanDependents', 'bool'],
    4: ['propagationPolicy', 'string'],
    5: ['dryRun', 'repeated', 'string'],
  },
  Preconditions: {
    1: ['uid', 'string'],
    2: ['resourceVersion', 'string'],
  },
  ResourceQuota: {
    1: ['metadata', 'message', 'ObjectMeta'],
    2: ['spec', 'message', 'ResourceQuotaSpec'],
    3: ['status', 'skip'],
  },
  ResourceQuotaSpec: {
    1: ['hard', 'map', 'quantity'],
    2: ['scopes', 'repeated', 'string'],
    3: ['scopeSelector', 'message', 'ScopeSelector'],
  },
  ScopeSelector: { 1: ['matchExpressions', 'repeated', 'ScopedResourceSelectorRequirement'] },
  ScopedResourceSelectorRequirement: {
    1: ['scopeName', 'string'],
    2: ['operator', 'string'],
    3: ['values', 'repeated', 'string'],
  },
};
