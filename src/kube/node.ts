/** core/v1 Node and coordination.k8s.io/v1 Lease: what an agent registers and renews. */
import type { Condition, KubeObject } from './meta.js';

/** The upstream node label that keeps a node out of load balancers (the service controller's). */
export const EXCLUDE_FROM_LB = 'node.kubernetes.io/exclude-from-external-load-balancers';

export type TaintEffect = 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';

export interface Taint {
  key: string;
  value?: string;
  effect: TaintEffect;
  timeAdded?: string;
}

export interface NodeAddress {
  type: 'InternalIP' | 'ExternalIP' | 'Hostname' | 'InternalDNS' | 'ExternalDNS';
  address: string;
}

/** Node status; quantities are strings or plain numbers on the wire. */
export interface NodeStatus {
  capacity?: Record<string, string | number>;
  allocatable?: Record<string, string | number>;
  conditions?: Condition[];
  addresses?: NodeAddress[];
  daemonEndpoints?: { kubeletEndpoint: { Port: number } };
  nodeInfo?: Record<string, string>;
}

export interface Node extends KubeObject {
  spec?: {
    taints?: Taint[];
    providerID?: string;
    unschedulable?: boolean;
    /** The node's block of the cluster pod range, set once by the control plane's node IPAM. */
    podCIDR?: string;
    podCIDRs?: string[];
  };
  status?: NodeStatus;
}

export interface Lease extends KubeObject {
  spec: {
    holderIdentity?: string | null;
    leaseDurationSeconds?: number;
    acquireTime?: string;
    renewTime?: string;
    leaseTransitions?: number;
  };
}
