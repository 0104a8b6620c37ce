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

/** The object an Event is about (core/v1 ObjectReference). */
export interface InvolvedObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly name: string;
  readonly namespace: string;
  readonly uid?: string;
  readonly fieldPath?: string;
}

/** Builds the core/v1 Event object for `event` on `pod`, reported by the agent of `node`. Pure. */
export function buildPodEvent(pod: Pod, event: PodEvent, node: string, now: string): KubeObject {
  return buildAgentEvent(
    {
      apiVersion: 'v1',
      kind: 'Pod',
      name: pod.metadata.name ?? 'pod',
      namespace: pod.metadata.namespace ?? 'default',
      ...(pod.metadata.uid ? { uid: pod.metadata.uid } : {}),
      ...(event.container ? { fieldPath: `spec.containers{${event.container}}` } : {}),
    },
    event,
    node,
    now,
  );
}

/** Builds the core/v1 Event object for `event` on `involved`, reported by the agent of `node`. Pure. */
export function buildAgentEvent(
  involved: InvolvedObject,
  event: Omit<PodEvent, 'container'>,
  node: string,
  now: string,
): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { generateName: `${involved.name}.`, namespace: involved.namespace },
    involvedObject: involved,
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

/** Creates an Event object; failures are returned, never thrown (events are best effort). */
export async function recordEvent(client: KubeClient, event: KubeObject): Promise<unknown> {
  try {
    await client.create(resources.events, event);
    return undefined;
  } catch (err) {
    return err;
  }
}

/** Records an event on a Service (e.g. a node port the proxy cannot open); failures are returned. */
export function recordServiceEvent(
  client: KubeClient,
  svc: { readonly namespace: string; readonly name: string },
  event: Omit<PodEvent, 'container'>,
  node: string,
): Promise<unknown> {
  const involved = { apiVersion: 'v1', kind: 'Service', ...svc };
  return recordEvent(client, buildAgentEvent(involved, event, node, new Date().toISOString()));
}

/** Records a pod event; failures are returned, never thrown (events are best effort). */
export function recordPodEvent(
  client: KubeClient,
  pod: Pod,
  event: PodEvent,
  node: string,
  now: string,
): Promise<unknown> {
  return recordEvent(client, buildPodEvent(pod, event, node, now));
}
