import type { Deployment, Node, OwnerReference, Pod, Taint } from '../../src/kube/index.js';

/** Builders of Kubernetes objects for controller and scheduler tests. */

export function makeNode(
  name: string,
  opts: {
    cpu?: string;
    memory?: string;
    pods?: number;
    zone?: string;
    labels?: Record<string, string>;
    taints?: Taint[];
    ready?: boolean;
    unschedulable?: boolean;
  } = {},
): Node {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      uid: `uid-node-${name}`,
      labels: {
        'kubernetes.io/hostname': name,
        ...(opts.zone ? { 'topology.kubernetes.io/zone': opts.zone } : {}),
        ...opts.labels,
      },
    },
    spec: { taints: opts.taints ?? [], unschedulable: opts.unschedulable ?? false },
    status: {
      allocatable: { cpu: opts.cpu ?? '4', memory: opts.memory ?? '8Gi', pods: opts.pods ?? 110 },
      conditions: [{ type: 'Ready', status: opts.ready === false ? 'False' : 'True' }],
    },
  };
}

export function makePod(
  name: string,
  opts: {
    cpu?: string;
    memory?: string;
    owner?: OwnerReference;
    spec?: Partial<Pod['spec']>;
    namespace?: string;
  } = {},
): Pod {
  const requests: Record<string, string> = {};
  if (opts.cpu) requests.cpu = opts.cpu;
  if (opts.memory) requests.memory = opts.memory;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: opts.namespace ?? 'default',
      uid: `uid-pod-${name}`,
      ...(opts.owner ? { ownerReferences: [opts.owner] } : {}),
    },
    spec: { containers: [{ name: 'c', image: 'busybox', resources: { requests } }], ...opts.spec },
  };
}

export function ownerRef(kind: string, name: string, uid = `uid-${kind}-${name}`): OwnerReference {
  return { apiVersion: 'apps/v1', kind, name, uid, controller: true, blockOwnerDeletion: true };
}

export function makeDeployment(name: string, replicas: number, image = 'busybox:a'): Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: 'default', uid: `uid-deploy-${name}`, generation: 1 },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image }] } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
    },
  };
}
