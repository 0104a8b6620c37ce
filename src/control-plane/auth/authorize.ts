import type { Verb } from '../../kube/index.js';
import type { UserInfo } from './authenticate.js';

/** Groups whose members may do anything. */
export const ADMIN_GROUPS = ['system:masters', 'tugboat:admins'];
/** The group of node agents; their user name is `node:<node name>`. */
export const NODES_GROUP = 'tugboat:nodes';

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

/** Looks up the node a pod is bound to (undefined when unbound or missing). */
export type PodNodeLookup = (namespace: string, name: string) => Promise<string | undefined>;

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

/**
 * Decides whether `user` may do `attrs`. Admins may do anything. A node may read what an agent
 * needs (secrets and configmaps by name only), and write only its own Node (and status), its own
 * Lease in kube-node-lease, events, and the status of (or delete) pods bound to it.
 */
export async function authorize(user: UserInfo, attrs: Attributes, podNode: PodNodeLookup): Promise<boolean> {
  if (user.groups.some((g) => ADMIN_GROUPS.includes(g))) return true;
  if (!user.groups.includes(NODES_GROUP) || !user.name.startsWith('node:')) return false;
  const node = user.name.slice('node:'.length);
  const { verb, resource, subresource, name, namespace } = attrs;
  if (attrs.group === '' || attrs.group === 'coordination.k8s.io') {
    if (READ.has(verb) && !subresource && NODE_READABLE.has(resource)) return true;
    if (verb === 'get' && !subresource && (resource === 'secrets' || resource === 'configmaps')) return true;
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
    if (resource === 'pods' && namespace && name) {
      const ownPodWrite =
        (subresource === 'status' && WRITE.has(verb)) || (!subresource && verb === 'delete');
      if (ownPodWrite) return (await podNode(namespace, name)) === node;
    }
  }
  return false;
}

/** The Forbidden message kube-apiserver gives, naming user, verb and resource. */
export function forbiddenMessage(user: UserInfo, attrs: Attributes): string {
  const res = attrs.subresource ? `${attrs.resource}/${attrs.subresource}` : attrs.resource;
  const scope = attrs.namespace ? `in the namespace "${attrs.namespace}"` : 'at the cluster scope';
  const what = attrs.name
    ? `${attrs.resource} "${attrs.name}" is forbidden`
    : `${attrs.resource} is forbidden`;
  return `${what}: User "${user.name}" cannot ${attrs.verb} resource "${res}" in API group "${attrs.group}" ${scope}`;
}
