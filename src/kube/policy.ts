import type { Condition, KubeObject, LabelSelector } from './meta.js';

/** A metav1.Condition as PodDisruptionBudget status carries it. */
export type PdbCondition = Condition & { observedGeneration?: number };

/** policy/v1 PodDisruptionBudget: how many selected pods must stay healthy during voluntary disruptions. */
export interface PodDisruptionBudget extends KubeObject {
  spec: {
    minAvailable?: number | string;
    maxUnavailable?: number | string;
    selector?: LabelSelector | null;
    unhealthyPodEvictionPolicy?: 'IfHealthyBudget' | 'AlwaysAllow';
  };
  status?: {
    observedGeneration?: number;
    /** Pods the eviction subresource let go, by name, with the time: not yet counted as gone. */
    disruptedPods?: Record<string, string>;
    disruptionsAllowed: number;
    currentHealthy: number;
    desiredHealthy: number;
    expectedPods: number;
    conditions?: PdbCondition[];
  };
}
