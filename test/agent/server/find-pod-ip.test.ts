import { describe, expect, it } from 'vitest';
import { podIpLabel } from '../../../src/agent/network/pod-sandbox.js';
import type { Runtime, RuntimeContainer } from '../../../src/agent/runtime/types.js';
import { findPodIp } from '../../../src/agent/server/find-container.js';

function container(over: Partial<RuntimeContainer>): RuntimeContainer {
  return {
    id: 'c',
    podNamespace: 'default',
    podName: 'web',
    podUid: 'u',
    containerName: 'web',
    attempt: 0,
    image: 'i',
    imageId: 'i',
    state: 'running',
    ...over,
  };
}

const runtimeOf = (containers: RuntimeContainer[]) =>
  ({ list: async () => containers }) as unknown as Runtime;

describe('findPodIp (where port-forward connects)', () => {
  it("uses the pod-network sandbox's address: its containers share it and show none of their own", async () => {
    const rt = runtimeOf([
      container({ id: 'app' }),
      container({ id: 'sb', containerName: 'SANDBOX', labels: { [podIpLabel]: '10.244.1.7' } }),
    ]);
    expect(await findPodIp(rt, 'default', 'web')).toBe('10.244.1.7');
  });

  it("uses a container's own bridge address, else loopback (host network, process runtime)", async () => {
    expect(await findPodIp(runtimeOf([container({ ip: '172.17.0.3' })]), 'default', 'web')).toBe(
      '172.17.0.3',
    );
    expect(await findPodIp(runtimeOf([container({})]), 'default', 'web')).toBe('127.0.0.1');
  });

  it('is undefined when nothing of the pod runs, and ignores a stopped sandbox and other pods', async () => {
    const rt = runtimeOf([
      container({ state: 'exited', containerName: 'SANDBOX', labels: { [podIpLabel]: '10.244.1.7' } }),
      container({ podName: 'other', labels: { [podIpLabel]: '10.244.1.9' } }),
    ]);
    expect(await findPodIp(rt, 'default', 'web')).toBeUndefined();
  });
});
