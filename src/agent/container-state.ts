/**
 * What the pod sync loop remembers about one container of a pod between passes. Probe results
 * live with the prober (`probe-manager.ts`), not here.
 */
export interface ContainerRecord {
  /** The runtime container last seen (a new one clears `waiting`). */
  containerId?: string;
  /** Why the container is not running, when the loop knows better than the runtime. */
  waiting?: { reason: string; message?: string };
  /** Consecutive failed start attempts (pull, config, create). */
  failures: number;
  /** No start attempt before this time (ms). */
  nextAttemptAt: number;
}

/** A fresh record for a container never seen before. */
export function newContainerRecord(): ContainerRecord {
  return { failures: 0, nextAttemptAt: 0 };
}
