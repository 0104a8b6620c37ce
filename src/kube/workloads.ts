/** apps/v1 and batch/v1 workloads: replica sets, deployments, daemon sets and jobs. */
import type { Condition, KubeObject, LabelSelector } from './meta.js';
import type { PodTemplateSpec } from './pod.js';

export interface ReplicaSet extends KubeObject {
  spec: { replicas?: number; minReadySeconds?: number; selector: LabelSelector; template: PodTemplateSpec };
  status?: {
    replicas?: number;
    fullyLabeledReplicas?: number;
    readyReplicas?: number;
    availableReplicas?: number;
    observedGeneration?: number;
  };
}

export interface RollingUpdateStrategy {
  maxSurge?: number | string;
  maxUnavailable?: number | string;
}

export interface Deployment extends KubeObject {
  spec: {
    replicas?: number;
    selector: LabelSelector;
    template: PodTemplateSpec;
    strategy?: { type?: 'RollingUpdate' | 'Recreate'; rollingUpdate?: RollingUpdateStrategy };
    minReadySeconds?: number;
    revisionHistoryLimit?: number;
    paused?: boolean;
    progressDeadlineSeconds?: number;
  };
  status?: {
    observedGeneration?: number;
    replicas?: number;
    updatedReplicas?: number;
    readyReplicas?: number;
    availableReplicas?: number;
    unavailableReplicas?: number;
    conditions?: Condition[];
  };
}

export interface DaemonSet extends KubeObject {
  spec: {
    selector: LabelSelector;
    template: PodTemplateSpec;
    updateStrategy?: {
      type?: 'RollingUpdate' | 'OnDelete';
      rollingUpdate?: { maxUnavailable?: number | string };
    };
    minReadySeconds?: number;
    revisionHistoryLimit?: number;
  };
  status?: {
    collisionCount?: number;
    currentNumberScheduled?: number;
    numberMisscheduled?: number;
    desiredNumberScheduled?: number;
    numberReady?: number;
    updatedNumberScheduled?: number;
    numberAvailable?: number;
    numberUnavailable?: number;
    observedGeneration?: number;
  };
}

export interface Job extends KubeObject {
  spec: {
    completions?: number | null;
    parallelism?: number;
    backoffLimit?: number;
    activeDeadlineSeconds?: number;
    selector?: LabelSelector;
    template: PodTemplateSpec;
    suspend?: boolean;
    completionMode?: 'NonIndexed' | 'Indexed';
    ttlSecondsAfterFinished?: number;
    podFailurePolicy?: { rules: PodFailurePolicyRule[] };
  };
  status?: {
    active?: number;
    succeeded?: number;
    failed?: number;
    startTime?: string;
    completionTime?: string;
    conditions?: Condition[];
    /** Indexed jobs: succeeded indexes as ranges, `1,3-5`. */
    completedIndexes?: string;
  };
}

/** One rule of a Job's `podFailurePolicy`: the first rule matching a failed pod decides. */
export interface PodFailurePolicyRule {
  action: 'FailJob' | 'Ignore' | 'Count' | 'FailIndex';
  onExitCodes?: { containerName?: string; operator: 'In' | 'NotIn'; values: number[] };
  onPodConditions?: { type: string; status?: string }[];
}

/** A reference to one object (CronJob `status.active`). */
export interface ObjectReference {
  apiVersion?: string;
  kind?: string;
  namespace?: string;
  name?: string;
  uid?: string;
  resourceVersion?: string;
}

export interface CronJob extends KubeObject {
  spec: {
    schedule: string;
    timeZone?: string;
    startingDeadlineSeconds?: number;
    concurrencyPolicy?: 'Allow' | 'Forbid' | 'Replace';
    suspend?: boolean;
    successfulJobsHistoryLimit?: number;
    failedJobsHistoryLimit?: number;
    jobTemplate: {
      metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
      spec: Job['spec'];
    };
  };
  status?: {
    active?: ObjectReference[] | undefined;
    lastScheduleTime?: string;
    lastSuccessfulTime?: string;
  };
}

/** A StatefulSet's claim for each ordinal (`<claim>-<set>-<ordinal>`), a PersistentVolumeClaim template. */
export interface PersistentVolumeClaimTemplate {
  apiVersion?: string;
  kind?: string;
  metadata: { name?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: Record<string, unknown>;
  status?: Record<string, unknown>;
}

export interface StatefulSet extends KubeObject {
  spec: {
    replicas?: number;
    selector: LabelSelector;
    template: PodTemplateSpec;
    serviceName?: string;
    podManagementPolicy?: 'OrderedReady' | 'Parallel';
    updateStrategy?: {
      type?: 'RollingUpdate' | 'OnDelete';
      rollingUpdate?: { partition?: number; maxUnavailable?: number | string };
    };
    volumeClaimTemplates?: PersistentVolumeClaimTemplate[];
    persistentVolumeClaimRetentionPolicy?: {
      whenDeleted?: 'Retain' | 'Delete';
      whenScaled?: 'Retain' | 'Delete';
    };
    revisionHistoryLimit?: number;
    minReadySeconds?: number;
    ordinals?: { start?: number };
  };
  status?: {
    observedGeneration?: number;
    replicas?: number;
    readyReplicas?: number;
    currentReplicas?: number;
    updatedReplicas?: number;
    availableReplicas?: number;
    currentRevision?: string;
    updateRevision?: string;
    collisionCount?: number;
  };
}

/** apps/v1 ControllerRevision: one immutable snapshot of a StatefulSet's or DaemonSet's template. */
export interface ControllerRevision extends KubeObject {
  data?: unknown;
  revision: number;
}

/** core/v1 ReplicationController: the original replica controller (selector is a plain label map). */
export interface ReplicationController extends KubeObject {
  spec: {
    replicas?: number;
    minReadySeconds?: number;
    selector?: Record<string, string>;
    template?: PodTemplateSpec;
  };
  status?: ReplicaSet['status'];
}
