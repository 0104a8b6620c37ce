/**
 * The pod network of one host, as data: tugboat's bridge for the local pods, the VXLAN device
 * (flannel's vxlan layout: VNI 1, UDP 8472, no learning) and, per peer node, a forwarding entry,
 * a neighbour and an onlink route to its pod block. Desired and observed states have the same
 * shape so a plan is their difference.
 */

/** Names and numbers every tugboat host uses. */
export const podNetworkNames = {
  /** The bridge the pods' veths hang off; holds the node block's first address (the pods' gateway). */
  bridge: 'tugboat0',
  /** The VXLAN device; holds the node block's network address as a /32 (flannel's VTEP address). */
  vxlan: 'tugboat.1',
  vni: 1,
  /** The Linux/flannel VXLAN port (IANA's 4789 is used by other overlays that may coexist). */
  port: 8472,
  /** Host-side veth names start with this (then a hash of the pod uid). */
  vethPrefix: 'tbv',
} as const;

/**
 * Where this agent's pods live on the host. A cluster host has one agent: `tugboat0` and VXLAN to
 * its peers. `tugboat local up --runtime docker` runs several agents in one network namespace:
 * each gets a bridge of its own and no VXLAN device, since the host routes between its own
 * bridges (each holds its block's gateway address, so every block has a connected route).
 */
export interface HostNetworkLayout {
  /** The bridge of this agent's pods (at most 15 characters). */
  readonly bridge: string;
  /** A VXLAN device to the other nodes (off when every node is on this host). */
  readonly vxlan: boolean;
}

/** One agent per host: `tugboat0` and VXLAN. */
export const defaultHostNetworkLayout: HostNetworkLayout = { bridge: podNetworkNames.bridge, vxlan: true };

/** Node annotations the agent publishes for its peers (flannel's backend-data and public-ip). */
export const podNetworkAnnotations = {
  vtepMac: 'tugboat.dev/vtep-mac',
  underlayIp: 'tugboat.dev/underlay-ip',
} as const;

/** Another node reachable over VXLAN. */
export interface VxlanPeer {
  readonly node: string;
  /** The peer's pod block, e.g. 10.244.2.0/24. */
  readonly podCidr: string;
  /** The peer's VTEP address: the network address of its block (10.244.2.0). */
  readonly vtepIp: string;
  readonly vtepMac: string;
  /** Where VXLAN packets for the peer go: its node address. */
  readonly underlayIp: string;
}

/** The state tugboat wants on this host. */
export interface DesiredHostNetwork {
  /** Name of the bridge. */
  readonly bridge: string;
  /** Address of the bridge, e.g. 10.244.1.1/24. */
  readonly bridgeAddress: string;
  /** The VXLAN device and its peers; undefined: no VXLAN (the device is left alone). */
  readonly vxlan?: {
    /** Local underlay address of the VXLAN device (the node's InternalIP). */
    readonly local: string;
    /** Address of the VXLAN device, e.g. 10.244.1.0/32. */
    readonly address: string;
    readonly peers: readonly VxlanPeer[];
  };
}

/** What the kernel has of tugboat's devices and entries. */
export interface ObservedHostNetwork {
  readonly bridge?: { readonly addresses: readonly string[]; readonly up: boolean };
  readonly vxlan?: {
    readonly vni: number;
    readonly port: number;
    readonly local: string;
    readonly mac: string;
    readonly addresses: readonly string[];
    readonly up: boolean;
  };
  /** Forwarding entries of the VXLAN device that have a destination. */
  readonly fdb: readonly { readonly mac: string; readonly dst: string }[];
  /** Permanent neighbours on the VXLAN device. */
  readonly neighbours: readonly { readonly ip: string; readonly mac: string }[];
  /** Routes through the VXLAN device. */
  readonly routes: readonly { readonly cidr: string; readonly via: string }[];
}

/** One change to the host network; a plan is a list of them in order. */
export type HostNetworkOp =
  | { readonly op: 'addBridge'; readonly name: string }
  | { readonly op: 'addVxlan'; readonly local: string }
  | { readonly op: 'deleteLink'; readonly name: string }
  | { readonly op: 'setAddress'; readonly device: string; readonly address: string }
  | { readonly op: 'setUp'; readonly device: string }
  | { readonly op: 'addFdb'; readonly mac: string; readonly dst: string }
  | { readonly op: 'deleteFdb'; readonly mac: string; readonly dst: string }
  | { readonly op: 'setNeighbour'; readonly ip: string; readonly mac: string }
  | { readonly op: 'deleteNeighbour'; readonly ip: string }
  | { readonly op: 'setRoute'; readonly cidr: string; readonly via: string }
  | { readonly op: 'deleteRoute'; readonly cidr: string };

/** One pod's interface: a veth from the bridge into the sandbox's network namespace. */
export interface PodAttachment {
  /** Host-side veth name (at most 15 characters). */
  readonly hostVeth: string;
  /** PID of a process in the pod's network namespace (the sandbox). */
  readonly pid: number;
  /** The pod's address with the block's prefix, e.g. 10.244.1.7/24. */
  readonly address: string;
  /** The bridge address without prefix: the pod's default gateway. */
  readonly gateway: string;
}
