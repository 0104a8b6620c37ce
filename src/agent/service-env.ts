import type { KubeClient } from '../client/client.js';
import { resources } from '../client/types.js';
import type { KubeList, Pod, Service } from '../kube/index.js';

/** Where kube-apiserver's own Service lives (kubelet's masterServiceNamespace). */
const MASTER_NAMESPACE = 'default';
const MASTER_SERVICE = 'kubernetes';

/** A Service whose address makes environment variables (not headless, not ExternalName). */
function hasClusterIp(svc: Service): boolean {
  const ip = svc.spec?.clusterIP;
  return typeof ip === 'string' && ip !== '' && ip !== 'None';
}

/** `my-svc` → `MY_SVC`, as kubelet's envvars.makeEnvVariableName. */
function envName(text: string): string {
  return text.toUpperCase().replace(/-/g, '_');
}

/**
 * The Services whose variables a pod gets, as kubelet's getServiceEnvVarMap: the Services of its
 * namespace when `enableServiceLinks` is not false, and always `default/kubernetes`. Pure.
 */
export function servicesForPod(pod: Pod, own: readonly Service[], master: Service | undefined): Service[] {
  const namespace = pod.metadata.namespace ?? 'default';
  const byName = new Map<string, Service>();
  if (master && hasClusterIp(master)) byName.set(MASTER_SERVICE, master);
  if (pod.spec.enableServiceLinks !== false) {
    for (const svc of own) {
      if (!hasClusterIp(svc) || (svc.metadata.namespace ?? namespace) !== namespace) continue;
      const name = svc.metadata.name ?? '';
      // The master Service wins over a namespace's own Service of that name (as kubelet).
      if (namespace !== MASTER_NAMESPACE && name === MASTER_SERVICE) continue;
      byName.set(name, svc);
    }
  }
  return [...byName.keys()].sort().map((k) => byName.get(k)!);
}

/**
 * Docker-link style variables of Services (kubelet's envvars.FromServices): `<NAME>_SERVICE_HOST`,
 * `<NAME>_SERVICE_PORT` (first port), `<NAME>_SERVICE_PORT_<PORTNAME>` for named ports, and
 * `<NAME>_PORT`, `<NAME>_PORT_<port>_<PROTO>[_PROTO|_PORT|_ADDR]`. Pure.
 */
export function buildServiceEnv(services: readonly Service[]): { name: string; value: string }[] {
  const out: { name: string; value: string }[] = [];
  for (const svc of services) {
    const ports = svc.spec.ports ?? [];
    const first = ports[0];
    if (!first) continue; // kubelet skips a Service without ports as well
    const ip = svc.spec.clusterIP ?? '';
    const name = envName(svc.metadata.name ?? '');
    out.push({ name: `${name}_SERVICE_HOST`, value: ip });
    out.push({ name: `${name}_SERVICE_PORT`, value: String(first.port) });
    for (const p of ports)
      if (p.name) out.push({ name: `${name}_SERVICE_PORT_${envName(p.name)}`, value: String(p.port) });
    const proto = (p: { protocol?: string }) => (p.protocol ?? 'TCP').toLowerCase();
    out.push({ name: `${name}_PORT`, value: `${proto(first)}://${ip}:${first.port}` });
    for (const p of ports) {
      const prefix = `${name}_PORT_${p.port}_${proto(p).toUpperCase()}`;
      out.push({ name: prefix, value: `${proto(p)}://${ip}:${p.port}` });
      out.push({ name: `${prefix}_PROTO`, value: proto(p) });
      out.push({ name: `${prefix}_PORT`, value: String(p.port) });
      out.push({ name: `${prefix}_ADDR`, value: ip });
    }
  }
  return out;
}

/**
 * Reads the Services a pod's containers get variables for, as they are when the container starts.
 * A read that fails throws: the container then waits (CreateContainerConfigError) and is retried,
 * as kubelet refuses to start a container before it has read the Services.
 */
export async function readServiceEnv(
  pod: Pod,
  client: KubeClient,
): Promise<{ name: string; value: string }[]> {
  const namespace = pod.metadata.namespace ?? 'default';
  const [own, master] = await Promise.all([
    pod.spec.enableServiceLinks === false
      ? Promise.resolve<Service[]>([])
      : client.list<Service>(resources.services, { namespace }).then((l: KubeList<Service>) => l.items),
    client
      .get<Service>(resources.services, MASTER_SERVICE, MASTER_NAMESPACE)
      .catch((err: { status?: number }) => {
        if (err.status === 404) return undefined;
        throw err;
      }),
  ]);
  return buildServiceEnv(servicesForPod(pod, own, master));
}

/**
 * Expands `$(VAR)` in `value` from `defined` as kubelet does: `$$` is a literal `$`, and a
 * reference to an undefined variable is left as written.
 */
export function expandEnvRefs(value: string, defined: ReadonlyMap<string, string>): string {
  return value.replace(/\$\$|\$\(([^)]*)\)/g, (match, ref: string | undefined) => {
    if (match === '$$') return '$';
    const v = ref === undefined ? undefined : defined.get(ref);
    return v === undefined ? match : v;
  });
}
