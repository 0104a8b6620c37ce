import type { KubeClient } from '../client/client.js';
import { resources } from '../client/types.js';
import { TugboatError } from '../errors.js';
import type { ConfigMap, Container, Pod, Secret } from '../kube/index.js';
import { expandEnvRefs, readServiceEnv } from './service-env.js';

/** An env var could not be resolved; the container waits with CreateContainerConfigError. */
export class EnvError extends TugboatError {
  constructor(message: string) {
    super('CONTAINER_CONFIG', message);
  }
}

/**
 * Resolves a container's `env` to plain name/value pairs: literal values (with `$(VAR)` expanded
 * from earlier variables), configMap and secret keys (fetched through the API), and the downward
 * API fields metadata.name/namespace/uid/labels/annotations (JOB_COMPLETION_INDEX of Indexed jobs
 * comes from an annotation), spec.nodeName and status.hostIP/podIP. The
 * Service variables (service-env.ts) come first, unless the container sets a variable of that name.
 */
export async function resolveEnv(
  pod: Pod,
  container: Container,
  client: KubeClient,
  extra: { hostIP?: string; podIP?: string } = {},
): Promise<{ name: string; value: string }[]> {
  const namespace = pod.metadata.namespace ?? 'default';
  const cache = new Map<string, Promise<Record<string, string> | undefined>>();
  const source = (kind: 'configMaps' | 'secrets', name: string) => {
    const key = `${kind}/${name}`;
    let p = cache.get(key);
    if (!p) {
      p = client.get<ConfigMap | Secret>(resources[kind], name, namespace).then(
        (o) => {
          if (kind === 'configMaps') return (o as ConfigMap).data ?? {};
          const data: Record<string, string> = {};
          for (const [k, v] of Object.entries((o as Secret).data ?? {}))
            data[k] = Buffer.from(v, 'base64').toString('utf8');
          return data;
        },
        (err: { status?: number }) => {
          if (err.status === 404) return undefined;
          throw err;
        },
      );
      cache.set(key, p);
    }
    return p;
  };
  const serviceEnv = await readServiceEnv(pod, client).catch((err: Error) => {
    throw new EnvError(
      `cannot read the Services for the environment of ${namespace}/${pod.metadata.name}: ${err.message}; retrying`,
    );
  });
  const defined = new Map(serviceEnv.map((e) => [e.name, e.value]));
  const out: { name: string; value: string }[] = [];
  const push = (name: string, value: string) => {
    out.push({ name, value });
    defined.set(name, value);
  };
  for (const e of container.env ?? []) {
    if (e.value !== undefined || !e.valueFrom) {
      push(e.name, expandEnvRefs(e.value ?? '', defined));
      continue;
    }
    const ref = e.valueFrom.configMapKeyRef ?? e.valueFrom.secretKeyRef;
    if (ref) {
      const kind = e.valueFrom.configMapKeyRef ? 'configMaps' : 'secrets';
      const data = await source(kind, ref.name);
      const value = data?.[ref.key];
      if (value === undefined) {
        if (ref.optional) continue;
        const what = kind === 'configMaps' ? 'configmap' : 'secret';
        throw new EnvError(
          `env ${e.name}: key "${ref.key}" of ${what} ${namespace}/${ref.name} not found: create it or set optional: true`,
        );
      }
      push(e.name, value);
      continue;
    }
    const path = e.valueFrom.fieldRef?.fieldPath ?? '';
    const labelMatch = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(path);
    const fields: Record<string, string | undefined> = {
      'metadata.name': pod.metadata.name,
      'metadata.namespace': namespace,
      'metadata.uid': pod.metadata.uid,
      'spec.nodeName': pod.spec.nodeName,
      'status.hostIP': extra.hostIP,
      'status.podIP': extra.podIP,
    };
    const value = labelMatch
      ? pod.metadata[labelMatch[1] === 'labels' ? 'labels' : 'annotations']?.[labelMatch[2] ?? '']
      : fields[path];
    if (value === undefined && !(path in fields) && !labelMatch) {
      throw new EnvError(
        `env ${e.name}: unsupported fieldRef "${path}": use metadata.name, metadata.namespace, metadata.uid, spec.nodeName or status.hostIP`,
      );
    }
    push(e.name, value ?? '');
  }
  const own = new Set(out.map((e) => e.name));
  return [...serviceEnv.filter((e) => !own.has(e.name)), ...out];
}
