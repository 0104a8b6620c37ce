import type { UntypedObject } from '../../kube/index.js';
import type { ResourceDef } from '../registry/types.js';
import { allocateClusterIp } from './cluster-ips.js';
import type { ApiContext } from './context.js';
import { allocateNodePorts } from './node-ports.js';

/**
 * Gives a Service being written its cluster IP and node ports (kube-apiserver's allocators),
 * reading what the other stored Services hold in one list. Call it inside {@link serialized}
 * together with the write, so two writes never see the same free address or port.
 */
export async function allocateServiceFields(
  ctx: ApiContext,
  def: ResourceDef,
  obj: UntypedObject,
  old: UntypedObject | undefined,
): Promise<void> {
  const self = `${obj.metadata?.namespace}/${obj.metadata?.name}`;
  const page = await ctx.resources.list(def, undefined);
  const others = page.items.filter((s) => `${s.metadata?.namespace}/${s.metadata?.name}` !== self);
  allocateClusterIp(obj, old, others, ctx.serviceRange);
  allocateNodePorts(obj, old, others);
}

let queue: Promise<unknown> = Promise.resolve();

/**
 * Runs `fn` after every earlier call has settled, so two Service writes in this process never
 * read the same free address or port. Limit: two API server processes on one etcd could still
 * both take one (kube-apiserver closes that with a compare-and-swap on a stored bitmap).
 */
export function serialized<T>(fn: () => Promise<T>): Promise<T> {
  const run = queue.then(fn, fn);
  queue = run.catch(() => undefined);
  return run;
}
