/**
 * What the pods bound to a node reference, for the node authorizer (as Kubernetes'
 * plugin/pkg/auth/authorizer/node builds a graph from pods to the Secrets, ConfigMaps and
 * PersistentVolumeClaims they use): a node may read an object only when one of its pods uses it.
 */

/** Resources whose objects a node reads by name through its pods. */
export type NodeReadable = 'secrets' | 'configmaps' | 'persistentvolumeclaims';

type Obj = Record<string, unknown>;

function rec(v: unknown): Obj | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : undefined;
}

function list(v: unknown): Obj[] {
  return Array.isArray(v) ? (v.map(rec).filter(Boolean) as Obj[]) : [];
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v ? v : undefined;
}

/** The names of the Secrets, ConfigMaps and PVCs `pod` uses (volumes, env, envFrom, pull secrets). */
export function podReferences(pod: unknown): Record<NodeReadable, Set<string>> {
  const refs: Record<NodeReadable, Set<string>> = {
    secrets: new Set(),
    configmaps: new Set(),
    persistentvolumeclaims: new Set(),
  };
  const add = (kind: NodeReadable, name: unknown) => {
    const n = str(name);
    if (n) refs[kind].add(n);
  };
  const spec = rec(rec(pod)?.spec) ?? {};
  for (const s of list(spec.imagePullSecrets)) add('secrets', s.name);
  for (const v of list(spec.volumes)) {
    add('secrets', rec(v.secret)?.secretName);
    add('configmaps', rec(v.configMap)?.name);
    add('persistentvolumeclaims', rec(v.persistentVolumeClaim)?.claimName);
    for (const source of list(rec(v.projected)?.sources)) {
      add('secrets', rec(source.secret)?.name);
      add('configmaps', rec(source.configMap)?.name);
    }
    for (const key of ['azureFile', 'cephfs', 'cinder', 'flexVolume', 'iscsi', 'rbd', 'scaleIO', 'storageos'])
      add('secrets', rec(rec(v[key])?.secretRef)?.name ?? rec(v[key])?.secretName);
  }
  for (const field of ['containers', 'initContainers', 'ephemeralContainers']) {
    for (const c of list(spec[field])) {
      for (const from of list(c.envFrom)) {
        add('secrets', rec(from.secretRef)?.name);
        add('configmaps', rec(from.configMapRef)?.name);
      }
      for (const e of list(c.env)) {
        const valueFrom = rec(e.valueFrom);
        add('secrets', rec(valueFrom?.secretKeyRef)?.name);
        add('configmaps', rec(valueFrom?.configMapKeyRef)?.name);
      }
    }
  }
  return refs;
}

/** Whether one of `pods` bound to `node` uses `resource` `name`. */
export function nodePodsUse(
  node: string,
  pods: readonly unknown[],
  resource: NodeReadable,
  name: string,
): boolean {
  return pods.some((pod) => rec(rec(pod)?.spec)?.nodeName === node && podReferences(pod)[resource].has(name));
}
