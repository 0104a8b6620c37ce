import type { StatusCause } from '../../kube/index.js';
import { isRecord } from '../registry/validation.js';
import type { HandlerInput, Reply } from './handlers.js';
import { parseJsonObject } from './http.js';
import { badRequest, conflict, invalid } from './status.js';

/**
 * POST pods/{name}/binding as kube-apiserver's BindingREST: the Binding names the pod, its target is
 * a Node (kind empty or "Node") with a name; a pod already bound (to any node), being deleted, or
 * not the one the Binding's uid names is 409 Conflict on pods/binding. The target node need not
 * exist, as upstream (the kubelet of a node that never registers simply never runs it).
 */
export async function bindPod(input: HandlerInput, name: string): Promise<Reply> {
  const { ctx, info } = input;
  const binding = parseJsonObject(input.body);
  const meta = isRecord(binding.metadata) ? binding.metadata : {};
  if (meta.name !== undefined && meta.name !== name)
    throw badRequest('name in URL does not match name in Binding object');
  const target = isRecord(binding.target) ? binding.target : {};
  const node = target.name;
  const causes: StatusCause[] = [];
  if (target.kind !== undefined && target.kind !== '' && target.kind !== 'Node')
    causes.push({
      reason: 'FieldValueNotSupported',
      field: 'target.kind',
      message: `Unsupported value: ${JSON.stringify(target.kind)}: supported values: "Node", "<empty>"`,
    });
  if (typeof node !== 'string' || !node)
    causes.push({ reason: 'FieldValueRequired', field: 'target.name', message: 'Required value' });
  if (causes.length || typeof node !== 'string') throw invalid('Binding', '', name, causes);
  const ref = { group: '', resource: 'pods/binding' };
  await ctx.resources.update(info.def, info.namespace, name, (pod) => {
    const spec = isRecord(pod.spec) ? pod.spec : {};
    if (pod.metadata?.deletionTimestamp)
      throw conflict(ref, name, `pod ${name} is being deleted, cannot be assigned to a host`);
    if (typeof meta.uid === 'string' && meta.uid && meta.uid !== pod.metadata?.uid)
      throw conflict(
        ref,
        name,
        `Precondition failed: UID in precondition: ${meta.uid}, UID in object meta: ${String(pod.metadata?.uid ?? '')}`,
      );
    if (spec.nodeName)
      throw conflict(ref, name, `pod ${name} is already assigned to node "${String(spec.nodeName)}"`);
    return { ...pod, spec: { ...spec, nodeName: node } };
  });
  return {
    code: 201,
    body: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 },
  };
}
