import type { Verb } from '../../kube/index.js';
import type { UserInfo } from './authenticate.js';
import { nodePodsUse } from './node-graph.js';

/** Groups whose members may do anything. */
export const ADMIN_GROUPS = ['system:masters', 'tugboat:admins'];
/** The group of node agents; their user name is `node:<node name>`. */
export const NODES_GROUP = 'tugboat:nodes';
/** Kubernetes' group of node identities; their user name is `system:node:<node name>`. */
export const KUBE_NODES_GROUP = 'system:nodes';

/**
 * The node a user is, or undefined: `system:node:<name>` in `system:nodes` (Kubernetes' node
 * identity) or `node:<name>` in `tugboat:nodes` (the certificates tugboat issues to its agents).
 */
export function nodeNameOf(user: UserInfo): string | undefined {
  for (const [group, prefix] of [
    [KUBE_NODES_GROUP, 'system:node:'],
    [NODES_GROUP, 'node:'],
  ] as const) {
    if (user.groups.includes(group) && user.name.startsWith(prefix) && user.name.length > prefix.length)
      return user.name.slice(prefix.length);
  }
  return undefined;
}

/** What a request wants to do, for authorization. */
export interface Attributes {
  readonly verb: Verb;
  readonly group: string;
  readonly resource: string;
  readonly subresource: string | undefined;
  readonly namespace: string | undefined;
  /** The object's name (for create: the name in the body). */
  readonly name: string | undefined;
}

/** What the node rules look up in the cluster. */
export interface NodeGraph {
  /** The node a pod is bound to (undefined when unbound or missing). */
  podNode(namespace: string, name: string): Promise<string | undefined>;
  /** The pods of `namespace` (the rules pick those bound to the node). */
  pods(namespace: string): Promise<readonly unknown[]>;
  /** A PersistentVolume by name, undefined when there is none. @default no volume is readable */
  volume?(name: string): Promise<unknown | undefined>;
}

const READ = new Set<Verb>(['get', 'list', 'watch']);
const WRITE = new Set<Verb>(['create', 'update', 'patch']);
const NODE_READABLE = new Set([
  'nodes',
  'pods',
  'services',
  'endpoints',
  'namespaces',
  'serviceaccounts',
  'leases',
  'events',
]);

const BY_POD = new Set(['secrets', 'configmaps', 'persistentvolumeclaims'] as const);

/**
 * Decides whether `user` may do `attrs`. Admins may do anything. A node (Kubernetes' node
 * authorizer) may read what an agent needs (EndpointSlices too, for its service proxy and DNS), but Secrets, ConfigMaps and PVCs only by name and only
 * when a pod bound to it uses them; it may write only its own Node (and status), its own Lease in
 * kube-node-lease, events, and the status of (or delete) pods bound to it. What it may change in
 * its Node is limited further by NodeRestriction (node-restriction.ts).
 */
export async function authorize(user: UserInfo, attrs: Attributes, graph: NodeGraph): Promise<boolean> {
  if (user.groups.some((g) => ADMIN_GROUPS.includes(g))) return true;
  const node = nodeNameOf(user);
  if (node === undefined) return false;
  const { verb, resource, subresource, name, namespace } = attrs;
  // As upstream's node rules: a node requests (and watches for) its own renewed certificates.
  if (attrs.group === 'certificates.k8s.io' && resource === 'certificatesigningrequests' && !subresource)
    return READ.has(verb) || verb === 'create';
  // The agent's service proxy and cluster DNS read EndpointSlices (upstream's system:node-proxier).
  if (attrs.group === 'discovery.k8s.io' && resource === 'endpointslices' && !subresource)
    return READ.has(verb);
  if (attrs.group === '' || attrs.group === 'coordination.k8s.io') {
    if (READ.has(verb) && !subresource && NODE_READABLE.has(resource)) return true;
    const byPod = BY_POD as Set<string>;
    if (verb === 'get' && !subresource && byPod.has(resource) && attrs.group === '' && namespace && name)
      return nodePodsUse(node, await graph.pods(namespace), resource as 'secrets', name);
    if (verb === 'get' && !subresource && resource === 'persistentvolumes' && attrs.group === '' && name)
      return nodeMayReadVolume(node, name, graph);
    if (
      resource === 'nodes' &&
      name === node &&
      (WRITE.has(verb) || (READ.has(verb) && subresource === 'status'))
    )
      return true;
    if (
      resource === 'leases' &&
      namespace === 'kube-node-lease' &&
      name === node &&
      (WRITE.has(verb) || verb === 'delete')
    )
      return true;
    if (resource === 'events' && (WRITE.has(verb) || verb === 'delete')) return true;
    // As upstream's graph edge pod -> serviceaccount: tokens only for accounts its pods run as
    // (api/service-accounts.ts then requires the token be bound to such a pod).
    if (resource === 'serviceaccounts' && subresource === 'token' && verb === 'create' && namespace && name)
      return (await graph.pods(namespace)).some((pod) => podRunsAs(pod, node, name));
    if (resource === 'pods' && namespace && name) {
      const ownPodWrite =
        (subresource === 'status' && WRITE.has(verb)) || (!subresource && verb === 'delete');
      if (ownPodWrite) return (await graph.podNode(namespace, name)) === node;
    }
  }
  return false;
}

/**
 * As upstream's graph edge pod -> claim -> volume: a node reads a PersistentVolume bound to a claim
 * one of its pods uses; also (tugboat's local-path volumes) one whose node affinity names it, and
 * a name that does not exist (the answer is a 404: the agent's cleanup of its volumes dir needs to
 * tell a deleted volume from one it may not read; it learns no more than that the name is free).
 */
async function nodeMayReadVolume(node: string, name: string, graph: NodeGraph): Promise<boolean> {
  if (!graph.volume) return false;
  const pv = await graph.volume(name);
  if (pv === undefined) return true;
  const spec = (pv as { spec?: Record<string, unknown> } | null)?.spec;
  if (volumeAffinityNames(spec?.nodeAffinity, node)) return true;
  const ref = spec?.claimRef as { namespace?: unknown; name?: unknown } | undefined;
  if (typeof ref?.namespace !== 'string' || typeof ref.name !== 'string' || !ref.namespace) return false;
  return nodePodsUse(node, await graph.pods(ref.namespace), 'persistentvolumeclaims', ref.name);
}

/** Whether every term of a volume's required node affinity is `metadata.name In [node]` alone. */
function volumeAffinityNames(affinity: unknown, node: string): boolean {
  const terms = (affinity as { required?: { nodeSelectorTerms?: unknown } } | undefined)?.required
    ?.nodeSelectorTerms;
  if (!Array.isArray(terms) || terms.length === 0) return false;
  return terms.every((t) => {
    const fields = (t as { matchFields?: unknown; matchExpressions?: unknown } | null)?.matchFields;
    if (!Array.isArray(fields) || fields.length !== 1) return false;
    const f = fields[0] as { key?: unknown; operator?: unknown; values?: unknown };
    return (
      f.key === 'metadata.name' &&
      f.operator === 'In' &&
      Array.isArray(f.values) &&
      f.values.length === 1 &&
      f.values[0] === node
    );
  });
}

function podRunsAs(pod: unknown, node: string, serviceAccount: string): boolean {
  const spec = (pod as { spec?: { nodeName?: unknown; serviceAccountName?: unknown } } | null)?.spec;
  return spec?.nodeName === node && (spec.serviceAccountName || 'default') === serviceAccount;
}

/** The Forbidden message kube-apiserver gives, naming user, verb and resource. */
export function forbiddenMessage(user: UserInfo, attrs: Omit<Attributes, 'verb'> & { verb: string }): string {
  const res = attrs.subresource ? `${attrs.resource}/${attrs.subresource}` : attrs.resource;
  const scope = attrs.namespace ? `in the namespace "${attrs.namespace}"` : 'at the cluster scope';
  // The group-qualified resource, as upstream's NewForbidden prints it ("deployments.apps").
  const qualified = attrs.group ? `${attrs.resource}.${attrs.group}` : attrs.resource;
  const what = attrs.name ? `${qualified} "${attrs.name}" is forbidden` : `${qualified} is forbidden`;
  return `${what}: User "${user.name}" cannot ${attrs.verb} resource "${res}" in API group "${attrs.group}" ${scope}`;
}

/** kube-apiserver's Forbidden message for a non-resource path. */
export function forbiddenPathMessage(user: UserInfo, verb: string, path: string): string {
  return `forbidden: User "${user.name}" cannot ${verb} path "${path}"`;
}
