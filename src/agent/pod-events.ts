import type { KubeClient } from '../client/client.js';
import { resources } from '../client/types.js';
import type { KubeObject, Pod } from '../kube/index.js';

/** One Kubernetes Event about a pod, as `kubectl describe pod` lists them. */
export interface PodEvent {
  readonly type: 'Normal' | 'Warning';
  /** e.g. Started, Killing, Failed, Unhealthy. */
  readonly reason: string;
  readonly message: string;
  /** `spec.containers{name}`, like the kubelet's fieldPath. */
  readonly container?: string;
}

/** Builds the core/v1 Event object for `event` on `pod`, reported by the agent of `node`. Pure. */
export function buildPodEvent(pod: Pod, event: PodEvent, node: string, now: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: {
      generateName: `${pod.metadata.name ?? 'pod'}.`,
      namespace: pod.metadata.namespace ?? 'default',
    },
    involvedObject: {
      apiVersion: 'v1',
      kind: 'Pod',
      name: pod.metadata.name,
      namespace: pod.metadata.namespace ?? 'default',
      uid: pod.metadata.uid,
      ...(event.container ? { fieldPath: `spec.containers{${event.container}}` } : {}),
    },
    type: event.type,
    reason: event.reason,
    message: event.message,
    source: { component: 'tugboat-agent', host: node },
    reportingComponent: 'tugboat-agent',
    reportingInstance: node,
    firstTimestamp: now,
    lastTimestamp: now,
    count: 1,
  } as KubeObject;
}

/** Records a pod event; failures are returned, never thrown (events are best effort). */
export async function recordPodEvent(
  client: KubeClient,
  pod: Pod,
  event: PodEvent,
  node: string,
  now: string,
): Promise<unknown> {
  try {
    await client.create(resources.events, buildPodEvent(pod, event, node, now));
    return undefined;
  } catch (err) {
    return err;
  }
}
