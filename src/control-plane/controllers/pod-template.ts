import { canonicalJson } from '../../kube/canonical-json.js';
import type { KubeObject, Pod, PodTemplateSpec } from '../../kube/index.js';
import { nameAlphabet as alphabet, clone, controllerRef } from '../machinery/objects.js';
import { apiVersionOf, type ResourceType } from '../machinery/resources.js';

export { canonicalJson };

/**
 * A pod for `owner` from its template: labels and annotations from the template, a controller
 * ownerReference, and `generateName` of `<owner>-` (the loop fills in a unique name).
 */
export function podFromTemplate(
  template: PodTemplateSpec,
  owner: KubeObject,
  ownerType: ResourceType,
  extraLabels: Record<string, string> = {},
): Pod {
  const t = clone(template);
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      generateName: `${owner.metadata.name}-`,
      namespace: owner.metadata.namespace ?? 'default',
      labels: { ...(t.metadata?.labels ?? {}), ...extraLabels },
      ...(t.metadata?.annotations ? { annotations: t.metadata.annotations } : {}),
      ownerReferences: [controllerRef(owner, apiVersionOf(ownerType), ownerType.kind)],
    },
    spec: t.spec,
  };
}

/**
 * FNV-1a 32-bit hash of a value's canonical JSON, encoded with the generated-name alphabet: the
 * `pod-template-hash` / `controller-revision-hash` of a template.
 */
export function templateHash(value: unknown, collisionCount = 0): string {
  let h = 0x811c9dc5;
  const text = canonicalJson(value) + (collisionCount ? String(collisionCount) : '');
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  let out = '';
  let n = h;
  do {
    out += alphabet[n % alphabet.length];
    n = Math.floor(n / alphabet.length);
  } while (n > 0);
  return out;
}
