import type { Condition, Deployment, ReplicaSet } from '../../kube/index.js';
import { formatTime, parseTime } from '../machinery/clock.js';
import { getCondition, setCondition } from '../machinery/objects.js';

export interface DeploymentStatusInput {
  readonly deployment: Deployment;
  readonly newSet: ReplicaSet | undefined;
  readonly allSets: readonly ReplicaSet[];
  readonly maxUnavailable: number;
  /** This reconcile created the new ReplicaSet. */
  readonly createdNewSet: boolean;
  /** This reconcile scaled a ReplicaSet. */
  readonly scaled: boolean;
  readonly now: number;
}

/**
 * Deployment status and its Available and Progressing conditions, with the reasons
 * `kubectl rollout status` understands (NewReplicaSetAvailable, ProgressDeadlineExceeded, ...).
 */
export function buildDeploymentStatus(input: DeploymentStatusInput): NonNullable<Deployment['status']> {
  const { deployment: d, newSet, allSets, now } = input;
  const desired = d.spec.replicas ?? 1;
  const sum = (f: (rs: ReplicaSet) => number) => allSets.reduce((s, rs) => s + f(rs), 0);
  const replicas = sum((rs) => rs.status?.replicas ?? 0);
  const updatedReplicas = newSet?.status?.replicas ?? 0;
  const readyReplicas = sum((rs) => rs.status?.readyReplicas ?? 0);
  const availableReplicas = sum((rs) => rs.status?.availableReplicas ?? 0);
  const specTotal = sum((rs) => rs.spec.replicas ?? 0);
  const prev = d.status?.conditions;
  let conditions: Condition[] = [...(prev ?? [])];

  conditions = setCondition(
    conditions,
    availableReplicas >= desired - input.maxUnavailable
      ? {
          type: 'Available',
          status: 'True',
          reason: 'MinimumReplicasAvailable',
          message: 'Deployment has minimum availability.',
        }
      : {
          type: 'Available',
          status: 'False',
          reason: 'MinimumReplicasUnavailable',
          message: 'Deployment does not have minimum availability.',
        },
    now,
  );

  const rsName = newSet?.metadata.name ?? '';
  const stamp = formatTime(now);
  const progressing = getCondition(prev, 'Progressing');
  const complete =
    newSet !== undefined &&
    updatedReplicas === desired &&
    replicas === desired &&
    availableReplicas === desired &&
    (newSet.spec.replicas ?? 0) === desired;
  const countsChanged =
    d.status !== undefined &&
    (d.status.replicas !== replicas ||
      d.status.updatedReplicas !== updatedReplicas ||
      d.status.availableReplicas !== availableReplicas ||
      d.status.readyReplicas !== readyReplicas);
  let next: Condition | undefined;
  if (d.spec.paused) {
    next = {
      type: 'Progressing',
      status: 'Unknown',
      reason: 'DeploymentPaused',
      message: 'Deployment is paused',
    };
  } else if (progressing?.reason === 'DeploymentPaused') {
    next = {
      type: 'Progressing',
      status: 'Unknown',
      reason: 'DeploymentResumed',
      message: 'Deployment is resumed',
    };
  } else if (complete) {
    next = {
      type: 'Progressing',
      status: 'True',
      reason: 'NewReplicaSetAvailable',
      message: `ReplicaSet "${rsName}" has successfully progressed.`,
    };
  } else if (input.createdNewSet) {
    next = {
      type: 'Progressing',
      status: 'True',
      reason: 'NewReplicaSetCreated',
      message: `Created new replica set "${rsName}"`,
    };
  } else if (input.scaled || countsChanged || !progressing) {
    next = {
      type: 'Progressing',
      status: 'True',
      reason: 'ReplicaSetUpdated',
      message: `ReplicaSet "${rsName}" is progressing.`,
    };
  } else if (
    progressing.reason !== 'ProgressDeadlineExceeded' &&
    progressing.reason !== 'NewReplicaSetAvailable'
  ) {
    const deadline = d.spec.progressDeadlineSeconds ?? 600;
    const since = parseTime(progressing.lastUpdateTime) ?? parseTime(progressing.lastTransitionTime) ?? now;
    if (now > since + deadline * 1000) {
      next = {
        type: 'Progressing',
        status: 'False',
        reason: 'ProgressDeadlineExceeded',
        message: `ReplicaSet "${rsName}" has timed out progressing.`,
      };
    }
  }
  if (next) {
    const changed = !progressing || progressing.reason !== next.reason || progressing.status !== next.status;
    conditions = setCondition(
      conditions,
      {
        ...next,
        lastUpdateTime:
          changed || input.scaled || countsChanged ? stamp : (progressing?.lastUpdateTime ?? stamp),
      },
      now,
    );
  }

  return {
    observedGeneration: d.metadata.generation ?? 0,
    replicas,
    updatedReplicas,
    readyReplicas,
    availableReplicas,
    unavailableReplicas: Math.max(0, specTotal - availableReplicas, desired - availableReplicas),
    conditions,
  };
}
