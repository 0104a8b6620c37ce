import type { ConfigIssue } from '../errors.js';
import { type Cidr, cidrsOverlap, formatCidr, parseCidr } from './cidr.js';
import { DEFAULT_VPC_CIDR } from './resolve.js';
import type { ClusterSpecDocument } from './schema.js';

const show = (v: unknown): string => JSON.stringify(v);

/**
 * Ranges no cluster range may overlap: loopback, link-local (the instance metadata service lives
 * there) and multicast. Traffic to them must never be routed into the pod network.
 */
const RESERVED: readonly { readonly text: string; readonly why: string }[] = [
  { text: '127.0.0.0/8', why: 'loopback' },
  { text: '169.254.0.0/16', why: 'link-local, where the instance metadata service answers' },
  { text: '224.0.0.0/3', why: 'multicast and reserved' },
];

/**
 * Checks `network.podCidr`, `network.nodePodCidrPrefix` and `network.serviceCidr`: valid blocks,
 * no overlap with each other, the VPC (when tugboat creates it; an existing VPC's range is not
 * known offline) or reserved ranges, and sizes that fit. The sizing rule: every node gets one
 * block of `/nodePodCidrPrefix` from `podCidr`, so `podCidr` must hold at least as many blocks as
 * the cluster can have nodes (the masters plus every worker group's `max`). Pure.
 */
export function validateClusterRanges(doc: ClusterSpecDocument): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const add = (path: string, message: string) => issues.push({ path, message });
  const net = doc.network;
  const pod = checkCidr('network.podCidr', net.podCidr, add);
  const svc = checkCidr('network.serviceCidr', net.serviceCidr, add);

  if (pod) {
    const prefix = net.nodePodCidrPrefix;
    const nodes = doc.master.count + doc.workerGroups.reduce((sum, g) => sum + g.max, 0);
    if (prefix <= pod.prefix) {
      add(
        'network.nodePodCidrPrefix',
        `/${prefix} is not smaller than podCidr ${formatCidr(pod)}: use a prefix above /${pod.prefix} (e.g. /24)`,
      );
    } else {
      const blocks = 2 ** (prefix - pod.prefix);
      if (blocks < nodes) {
        const need = Math.max(0, prefix - Math.ceil(Math.log2(nodes)));
        add(
          'network.podCidr',
          `${formatCidr(pod)} holds ${blocks} node blocks of /${prefix}, but the cluster can have ${nodes} nodes (masters + workerGroups max): use podCidr /${need} or larger, or raise nodePodCidrPrefix`,
        );
      }
    }
  }
  if (svc && (svc.prefix < 12 || svc.prefix > 27)) {
    add(
      'network.serviceCidr',
      `${show(net.serviceCidr)} has prefix /${svc.prefix}, but a service range must be /12 to /27: e.g. 10.96.0.0/12`,
    );
  }
  if (pod && svc && cidrsOverlap(pod, svc)) {
    add(
      'network.serviceCidr',
      `${show(net.serviceCidr)} overlaps podCidr ${show(net.podCidr)}: give Services a separate range, e.g. 10.96.0.0/12`,
    );
  }

  const vpcText = net.vpcId === undefined ? (net.vpcCidr ?? DEFAULT_VPC_CIDR) : undefined;
  const vpc = vpcText ? parseCidr(vpcText)?.cidr : undefined;
  const fields: [string, string, Cidr | undefined][] = [
    ['network.podCidr', net.podCidr, pod],
    ['network.serviceCidr', net.serviceCidr, svc],
  ];
  for (const [path, text, block] of fields) {
    if (!block) continue;
    if (vpc && cidrsOverlap(block, vpc)) {
      add(
        path,
        `${show(text)} overlaps the VPC ${formatCidr(vpc)}: pick a range outside it (defaults: podCidr 10.244.0.0/16, serviceCidr 10.96.0.0/12, vpcCidr 10.0.0.0/16)`,
      );
    }
    for (const r of RESERVED) {
      const reserved = parseCidr(r.text)!.cidr;
      if (cidrsOverlap(block, reserved)) {
        add(path, `${show(text)} overlaps ${r.text} (${r.why}): pick a private range such as 10.244.0.0/16`);
      }
    }
  }
  return issues;
}

/**
 * Parses a CIDR field, adding an issue at `path` when it is malformed or has host bits set.
 * Returns the block when it is usable.
 */
export function checkCidr(
  path: string,
  text: string,
  add: (path: string, message: string) => void,
): Cidr | undefined {
  const parsed = parseCidr(text);
  if (!parsed) {
    add(
      path,
      `${show(text)} is not a valid IPv4 CIDR: octets are 0-255 and the prefix 0-32, e.g. 10.0.0.0/16`,
    );
    return undefined;
  }
  if (parsed.hostBitsSet) {
    add(
      path,
      `${show(text)} has host bits set: use ${formatCidr(parsed.cidr)} (or /32 for a single address)`,
    );
    return undefined;
  }
  return parsed.cidr;
}
