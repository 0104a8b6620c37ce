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
