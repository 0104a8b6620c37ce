import { describe, expect, it } from 'vitest';
import type { Ec2Address, Ec2Api } from '../../src/aws/ec2.js';
import { pickMasterEip } from '../../src/boot/master-eip.js';

const address = (id: string, pool: string, instanceId?: string): Ec2Address => ({
  allocationId: id,
  publicIp: `127.0.0.${id.length}`,
  tags: { 'tugboat:cluster': 'c1', 'tugboat:pool': pool },
  ...(instanceId ? { instanceId, associationId: `assoc-${id}` } : {}),
});
const ec2 = (addresses: Ec2Address[]) => ({ describeAddresses: async () => addresses }) as unknown as Ec2Api;

describe('pickMasterEip', () => {
  const pool = [
    address('eipalloc-1', 'master', 'i-other'),
    address('eipalloc-2', 'master'),
    address('eipalloc-3', 'master', 'i-self'),
    address('eipalloc-4', 'workers'),
  ];

  it('one master: the pool master address wherever it is associated (the old master is fenced)', async () => {
    expect((await pickMasterEip(ec2(pool), 'c1'))?.allocationId).toBe('eipalloc-1');
  });

  it("several masters: this instance's own address first, else a free one, never another master's", async () => {
    expect((await pickMasterEip(ec2(pool), 'c1', { instanceId: 'i-self' }))?.allocationId).toBe('eipalloc-3');
    expect((await pickMasterEip(ec2(pool), 'c1', { instanceId: 'i-new' }))?.allocationId).toBe('eipalloc-2');
    const taken = [address('eipalloc-1', 'master', 'i-a'), address('eipalloc-4', 'workers')];
    expect(await pickMasterEip(ec2(taken), 'c1', { instanceId: 'i-new' })).toBeUndefined();
  });
});
