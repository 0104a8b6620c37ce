import type { KubeObject, Node, Service } from '../../kube/index.js';
import { EXCLUDE_FROM_LB } from '../../kube/node.js';
import { ipv4ToNumber } from '../../net/ipv4.js';
import { getCondition } from '../machinery/objects.js';
import type { Action } from './actions.js';

type LbService = Service & {
  spec: Service['spec'] & { loadBalancerClass?: string };
  status?: { loadBalancer?: { ingress?: { ip?: string; hostname?: string }[] } };
};

/**
 * The addresses a LoadBalancer Service is served on, as k3s's ServiceLB reports them: per Ready
 * node that is not excluded, its ExternalIP addresses, else its InternalIP ones; sorted, unique.
 * Every such node serves it: the agent's service proxy answers on each node's addresses. Pure.
 */
export function buildLoadBalancerIngress(nodes: readonly Node[]): { ip: string }[] {
  const ips = new Set<string>();
  for (const node of nodes) {
    if (node.metadata.deletionTimestamp) continue;
    if (node.metadata.labels?.[EXCLUDE_FROM_LB] !== undefined) continue;
    if (getCondition(node.status?.conditions, 'Ready')?.status !== 'True') continue;
    const addrs = node.status?.addresses ?? [];
    const external = addrs.filter((a) => a.type === 'ExternalIP').map((a) => a.address);
    const internal = addrs.filter((a) => a.type === 'InternalIP').map((a) => a.address);
    for (const ip of external.length ? external : internal) if (ipv4ToNumber(ip) !== undefined) ips.add(ip);
  }
  return [...ips].sort((a, b) => ipv4ToNumber(a)! - ipv4ToNumber(b)!).map((ip) => ({ ip }));
}

/**
 * One pass of the LoadBalancer status controller: every `type: LoadBalancer` Service without a
 * `loadBalancerClass` (those belong to another implementation, as in k3s) gets
 * `status.loadBalancer.ingress` = {@link buildLoadBalancerIngress}; a Service that stopped being
 * a LoadBalancer has its ingress cleared. Only differing statuses are written. Pure.
 */
export function reconcileLoadBalancerStatus(
  services: readonly KubeObject[],
  nodes: readonly Node[],
): Action[] {
  const ingress = buildLoadBalancerIngress(nodes);
  const actions: Action[] = [];
  for (const obj of services) {
    const svc = obj as LbService;
    if (svc.metadata.deletionTimestamp || svc.spec?.loadBalancerClass) continue;
    const current = svc.status?.loadBalancer?.ingress ?? [];
    const want = svc.spec?.type === 'LoadBalancer' ? ingress : [];
    if (JSON.stringify(current) === JSON.stringify(want)) continue;
    actions.push({
      verb: 'updateStatus',
      resource: 'services',
      object: {
        ...svc,
        status: { ...svc.status, loadBalancer: want.length ? { ingress: want } : {} },
      } as KubeObject,
    });
  }
  return actions;
}
