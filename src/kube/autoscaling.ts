import type { Condition, KubeObject, LabelSelector } from './meta.js';

/** autoscaling/v2 CrossVersionObjectReference: the workload an autoscaler scales. */
export interface ScaleTargetRef {
  kind: string;
  name: string;
  apiVersion?: string;
}

/** autoscaling/v2 MetricTarget. */
export interface MetricTarget {
  type: 'Utilization' | 'Value' | 'AverageValue';
  value?: string;
  averageValue?: string;
  averageUtilization?: number;
}

/** autoscaling/v2 MetricIdentifier (pods, object and external metrics). */
export interface MetricIdentifier {
  name: string;
  selector?: LabelSelector;
}

/** autoscaling/v2 MetricSpec: one signal the autoscaler follows. */
export interface MetricSpec {
  type: 'Resource' | 'ContainerResource' | 'Pods' | 'Object' | 'External';
  resource?: { name: string; target: MetricTarget };
  containerResource?: { name: string; container: string; target: MetricTarget };
  pods?: { metric: MetricIdentifier; target: MetricTarget };
  object?: { describedObject: ScaleTargetRef; metric: MetricIdentifier; target: MetricTarget };
  external?: { metric: MetricIdentifier; target: MetricTarget };
}

/** autoscaling/v2 HPAScalingPolicy. */
export interface ScalingPolicy {
  type: 'Pods' | 'Percent';
  value: number;
  periodSeconds: number;
}

/** autoscaling/v2 HPAScalingRules: one direction's stabilization window and policies. */
export interface ScalingRules {
  stabilizationWindowSeconds?: number;
  selectPolicy?: 'Max' | 'Min' | 'Disabled';
  policies?: ScalingPolicy[];
}

/** autoscaling/v2 MetricValueStatus. */
export interface MetricValueStatus {
  value?: string;
  averageValue?: string;
  averageUtilization?: number;
}

/** autoscaling/v2 MetricStatus: the current value of one metric of the spec. */
export interface MetricStatus {
  type: MetricSpec['type'];
  resource?: { name: string; current: MetricValueStatus };
  containerResource?: { name: string; container: string; current: MetricValueStatus };
}

/** autoscaling/v2 HorizontalPodAutoscaler. */
export interface HorizontalPodAutoscaler extends KubeObject {
  spec: {
    scaleTargetRef: ScaleTargetRef;
    minReplicas?: number;
    maxReplicas: number;
    metrics?: MetricSpec[];
    behavior?: { scaleUp?: ScalingRules; scaleDown?: ScalingRules };
  };
  status?: {
    observedGeneration?: number;
    lastScaleTime?: string;
    currentReplicas?: number;
    desiredReplicas: number;
    currentMetrics?: MetricStatus[] | null;
    conditions?: Condition[];
  };
}
