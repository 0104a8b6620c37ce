/** The other core/v1 kinds tugboat reads and writes: config maps, secrets, services, endpoints, events. */
import type { KubeObject } from './meta.js';

export interface ConfigMap extends KubeObject {
  data?: Record<string, string>;
  binaryData?: Record<string, string>;
}

export interface Secret extends KubeObject {
  type?: string;
  /** Base64-encoded values. */
  data?: Record<string, string>;
  stringData?: Record<string, string>;
}

export interface ServicePort {
  name?: string;
  port: number;
  targetPort?: number | string;
  protocol?: string;
}

export interface Service extends KubeObject {
  spec: { selector?: Record<string, string>; ports?: ServicePort[]; clusterIP?: string; type?: string };
}

export interface EndpointAddress {
  ip: string;
  /** Set for a pod whose `spec.subdomain` names the Service: its DNS name under a headless Service. */
  hostname?: string;
  nodeName?: string;
  targetRef?: { kind: string; name: string; namespace: string; uid?: string };
}

export interface Endpoints extends KubeObject {
  subsets?: {
    addresses?: EndpointAddress[];
    notReadyAddresses?: EndpointAddress[];
    ports?: { name?: string; port: number; protocol?: string }[];
  }[];
}

/** A core/v1 Event. */
export interface KubeEvent extends KubeObject {
  involvedObject: { kind: string; name: string; namespace?: string; uid?: string; apiVersion?: string };
  reason: string;
  message: string;
  type: 'Normal' | 'Warning';
  source?: { component: string };
  firstTimestamp?: string;
  lastTimestamp?: string;
  count?: number;
}
