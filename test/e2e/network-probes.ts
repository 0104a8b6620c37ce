/**
 * What the network e2e asks the cluster, from the runner (kubectl) and from inside the client pod
 * (busybox `nc` and `nslookup` through `kubectl exec`).
 */
import { kubectlOk } from './kubectl.js';

/** A ready `web` pod. */
export interface WebPod {
  name: string;
  node: string;
  ip: string;
}

/** The probes of one cluster. */
export type NetworkProbes = ReturnType<typeof networkProbes>;

/** Probes bound to `kubeconfig`. */
export function networkProbes(kubeconfig: string) {
  /** Runs a shell line in the client pod; its stdout. */
  const inClient = (script: string) => kubectlOk(kubeconfig, ['exec', 'client', '--', 'sh', '-c', script]);

  /**
   * `n` HTTP requests to `ip:port` from the client pod: the answers (pod names), FAILED for one that
   * got none. With busybox `nc`: the static busybox's `wget` crashes (SIGSEGV, exit 139) in glibc's
   * NSS inside an image without glibc's shared libraries.
   */
  async function answersFrom(ip: string, port: number, n: number): Promise<string[]> {
    const get = `printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 2 ${ip} ${port} | tail -n 1`;
    const out = await inClient(`for i in $(seq ${n}); do a=$(${get}); echo "\${a:-FAILED}"; done`);
    return out.split('\n').filter((l) => l.length > 0);
  }

  /** What busybox nslookup in the client pod gives for `name` (its own resolver, the pod's resolv.conf). */
  async function lookup(name: string): Promise<string[]> {
    const out = await inClient(`nslookup ${name} 2>&1; true`);
    const answer = out
      .split(/\n\s*\n/)
      .slice(1)
      .join('\n');
    return [...answer.matchAll(/Address(?: \d+)?:\s*([0-9.]+)/g)].map((m) => m[1] ?? '');
  }

  async function clusterIpOf(service: string): Promise<string> {
    const svc = JSON.parse(await kubectlOk(kubeconfig, ['get', 'service', service, '-o', 'json'])) as {
      spec: { clusterIP: string };
    };
    return svc.spec.clusterIP;
  }

  async function nodePortOf(service: string): Promise<number> {
    const svc = JSON.parse(await kubectlOk(kubeconfig, ['get', 'service', service, '-o', 'json'])) as {
      spec: { ports: { nodePort: number }[] };
    };
    return svc.spec.ports[0]!.nodePort;
  }

  async function webPods(): Promise<WebPod[]> {
    const out = await kubectlOk(kubeconfig, ['get', 'pods', '-l', 'app=web', '-o', 'json']);
    const items = (
      JSON.parse(out) as {
        items: {
          metadata: { name: string; deletionTimestamp?: string };
          spec: { nodeName?: string };
          status?: { podIP?: string; conditions?: { type: string; status: string }[] };
        }[];
      }
    ).items;
    return items
      .filter(
        (p) =>
          !p.metadata.deletionTimestamp &&
          p.status?.podIP &&
          p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
      )
      .map((p) => ({ name: p.metadata.name, node: p.spec.nodeName ?? '', ip: p.status?.podIP ?? '' }));
  }

  return { inClient, answersFrom, lookup, clusterIpOf, nodePortOf, webPods };
}
