import { formatKi } from '../client/quantity.js';
import type { Condition, Node, NodeStatus, Taint } from '../kube/index.js';
import { reportedVersion } from '../version.js';

/** Who this node is: from IMDSv2 on EC2, from flags or config elsewhere. */
export interface NodeIdentity {
  /** The Node object's name (EC2 instance id on EC2, hostname otherwise). */
  readonly name: string;
  readonly hostname: string;
  readonly internalIP: string;
  readonly externalIP?: string;
  readonly zone?: string;
  readonly region?: string;
  readonly instanceType?: string;
  /** e.g. `aws:///us-east-1a/i-0123`. */
  readonly providerID?: string;
  /** The tugboat worker group this node belongs to. */
  readonly group?: string;
}

/** What the node offers to pods. */
export interface NodeCapacity {
  readonly cpus: number;
  readonly memoryBytes: number;
  readonly pods: number;
  /** Memory kept back from pods (the kubelet's eviction threshold). */
  readonly reservedMemoryBytes: number;
}

/** The health signals behind the node's conditions. */
export interface NodeHealth {
  readonly runtimeOk: boolean;
  readonly runtimeMessage: string;
  readonly memoryPressure: boolean;
  readonly diskPressure: boolean;
}

/** The well-known labels of a node (kubernetes.io/hostname, topology zone and region, instance type, group). Pure. */
export function buildNodeLabels(
  id: NodeIdentity,
  extra: Readonly<Record<string, string>> = {},
): Record<string, string> {
  const labels: Record<string, string> = {
    'kubernetes.io/hostname': id.hostname,
    'kubernetes.io/os': 'linux',
    'kubernetes.io/arch': process.arch === 'x64' ? 'amd64' : process.arch,
  };
  if (id.zone) labels['topology.kubernetes.io/zone'] = id.zone;
  if (id.region) labels['topology.kubernetes.io/region'] = id.region;
  if (id.instanceType) labels['node.kubernetes.io/instance-type'] = id.instanceType;
  if (id.group) labels['tugboat.dev/group'] = id.group;
  return { ...labels, ...extra };
}

/**
 * Builds the node's status: capacity and allocatable, addresses, conditions (keeping
 * lastTransitionTime from `previous` while a condition's status is unchanged), the agent's
 * daemon endpoint port and node info. Pure.
 */
export function buildNodeStatus(input: {
  readonly identity: NodeIdentity;
  readonly capacity: NodeCapacity;
  readonly health: NodeHealth;
  readonly port: number;
  readonly runtimeVersion: string;
  readonly isolated: boolean;
  readonly now: string;
  readonly previous?: NodeStatus;
}): NodeStatus {
  const { identity, capacity, health, now } = input;
  const before = new Map((input.previous?.conditions ?? []).map((c) => [c.type, c]));
  const condition = (type: string, ok: boolean, reason: string, message: string): Condition => {
    const status = ok ? 'True' : 'False';
    const prev = before.get(type);
    return {
      type,
      status,
      reason,
      message,
      lastHeartbeatTime: now,
      lastTransitionTime: prev?.status === status && prev.lastTransitionTime ? prev.lastTransitionTime : now,
    };
  };
  const resources = (memory: number) => ({
    cpu: String(capacity.cpus),
    memory: formatKi(memory),
    pods: String(capacity.pods),
  });
  return {
    capacity: resources(capacity.memoryBytes),
    allocatable: resources(Math.max(0, capacity.memoryBytes - capacity.reservedMemoryBytes)),
    conditions: [
      condition(
        'MemoryPressure',
        health.memoryPressure,
        health.memoryPressure ? 'AgentHasInsufficientMemory' : 'AgentHasSufficientMemory',
        health.memoryPressure
          ? 'available memory is below the threshold'
          : 'agent has sufficient memory available',
      ),
      condition(
        'DiskPressure',
        health.diskPressure,
        health.diskPressure ? 'AgentHasDiskPressure' : 'AgentHasNoDiskPressure',
        health.diskPressure ? 'free disk space in the data dir is below 10%' : 'agent has no disk pressure',
      ),
      condition('PIDPressure', false, 'AgentHasSufficientPID', 'agent has sufficient PID available'),
      condition(
        'Ready',
        health.runtimeOk,
        health.runtimeOk ? 'AgentReady' : 'RuntimeUnavailable',
        health.runtimeMessage,
      ),
    ],
    addresses: [
      { type: 'InternalIP', address: identity.internalIP },
      ...(identity.externalIP ? [{ type: 'ExternalIP' as const, address: identity.externalIP }] : []),
      { type: 'Hostname', address: identity.hostname },
    ],
    daemonEndpoints: { kubeletEndpoint: { Port: input.port } },
    nodeInfo: {
      kubeletVersion: reportedVersion('32'),
      containerRuntimeVersion: input.runtimeVersion,
      operatingSystem: 'linux',
      architecture: process.arch === 'x64' ? 'amd64' : process.arch,
      machineID: identity.name,
      systemUUID: identity.name,
      bootID: '',
      kernelVersion: '',
      osImage: input.isolated ? 'linux' : 'linux (process runtime: not isolated)',
      kubeProxyVersion: '',
    },
  };
}

/** The Node object registered at start-up. Pure. */
export function buildNodeObject(input: {
  readonly identity: NodeIdentity;
  readonly labels: Readonly<Record<string, string>>;
  /** @default none */
  readonly annotations?: Readonly<Record<string, string>>;
  readonly taints: readonly Taint[];
  readonly status: NodeStatus;
}): Node {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: input.identity.name,
      labels: { ...input.labels },
      ...(input.annotations ? { annotations: { ...input.annotations } } : {}),
    },
    spec: {
      ...(input.taints.length ? { taints: [...input.taints] } : {}),
      ...(input.identity.providerID ? { providerID: input.identity.providerID } : {}),
    },
    status: input.status,
  };
}
