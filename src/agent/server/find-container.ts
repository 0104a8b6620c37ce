import { podIpLabel } from '../network/pod-sandbox.js';
import type { Runtime, RuntimeContainer } from '../runtime/types.js';

/** The current (and previous) attempt of a pod's container, looked up by the runtime's labels. */
export async function findPodContainer(
  runtime: Runtime,
  namespace: string,
  pod: string,
  container: string,
): Promise<{ current?: RuntimeContainer; previous?: RuntimeContainer }> {
  const attempts = (await runtime.list())
    .filter((c) => c.podNamespace === namespace && c.podName === pod && c.containerName === container)
    .sort((a, b) => b.attempt - a.attempt);
  return { current: attempts[0], previous: attempts[1] };
}

/**
 * Where port-forward connects for a pod: on the pod network, the address of its running sandbox
 * (its containers share the sandbox's namespace and show no address of their own); else its
 * containers' own address (Docker's bridge); else 127.0.0.1 (host network, process runtime).
 * Undefined when no container of the pod is running.
 */
export async function findPodIp(
  runtime: Runtime,
  namespace: string,
  pod: string,
): Promise<string | undefined> {
  const running = (await runtime.list()).filter(
    (c) => c.podNamespace === namespace && c.podName === pod && c.state === 'running',
  );
  if (running.length === 0) return undefined;
  const sandboxIp = running.find((c) => c.labels?.[podIpLabel])?.labels?.[podIpLabel];
  return sandboxIp ?? running.find((c) => c.ip)?.ip ?? '127.0.0.1';
}
