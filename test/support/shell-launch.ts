import type { ContainerLaunch } from '../../src/agent/runtime/types.js';

/** A host-network container of pod `pod` (namespace `default`, uid `uid-<pod>`) running `sh -c script`. */
export function shellLaunch(pod: string, script: string, name = 'main'): ContainerLaunch {
  return {
    pod: { namespace: 'default', name: pod, uid: `uid-${pod}` },
    name,
    attempt: 0,
    image: 'x',
    command: ['sh', '-c', script],
    env: [],
    mounts: [],
    ports: [],
    network: { mode: 'host' },
  };
}
