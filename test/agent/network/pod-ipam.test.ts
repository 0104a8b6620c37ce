import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PodIpam } from '../../../src/agent/network/pod-ipam.js';

const dir = mkdtempSync(join(tmpdir(), 'tugboat-pod-ipam-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const stateFile = () => join(dir, `state-${++n}`, 'pod-ips.json');
const saved = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as { allocations: Record<string, string> };

describe('PodIpam (host-local pod addresses)', () => {
  it('keeps .1 for the bridge, hands out the rest in turn and does not reuse a freed address at once', async () => {
    const file = stateFile();
    const ipam = await PodIpam.open(file, '10.244.3.0/29');
    expect(ipam.gateway).toEqual({ ip: '10.244.3.1', prefix: 29 });
    expect(await ipam.allocate('a')).toBe('10.244.3.2');
    expect(await ipam.allocate('a')).toBe('10.244.3.2');
    expect(await ipam.allocate('b')).toBe('10.244.3.3');
    await ipam.release('a');
    expect(await ipam.allocate('c')).toBe('10.244.3.4');
    expect(saved(file).allocations).toEqual({ b: '10.244.3.3', c: '10.244.3.4' });
  });

  it('refuses when the block is full, naming the block', async () => {
    const ipam = await PodIpam.open(stateFile(), '10.244.4.0/29');
    for (const uid of ['1', '2', '3', '4', '5']) await ipam.allocate(uid);
    await expect(ipam.allocate('6')).rejects.toThrow('no free pod address left in 10.244.4.0/29');
  });

  it('survives many pods synced at once: every save lands and the file holds them all', async () => {
    const file = stateFile();
    const ipam = await PodIpam.open(file, '10.244.5.0/24');
    const uids = Array.from({ length: 40 }, (_, i) => `pod-${i}`);
    const ips = await Promise.all(uids.map((u) => ipam.allocate(u)));
    expect(new Set(ips).size).toBe(40);
    await Promise.all(uids.slice(0, 10).map((u) => ipam.release(u)));
    expect(Object.keys(saved(file).allocations).sort()).toEqual(uids.slice(10).sort());
  });

  it('starts empty from a damaged or foreign state file; retain keeps exactly the running pods', async () => {
    const file = stateFile();
    const first = await PodIpam.open(file, '10.244.6.0/24');
    await first.allocate('x');
    writeFileSync(file, '{not json');
    const damaged = await PodIpam.open(file, '10.244.6.0/24');
    expect(damaged.allocations.size).toBe(0);
    await damaged.retain(new Map([['kept', '10.244.6.9']]));
    const other = await PodIpam.open(file, '10.244.7.0/24');
    expect(other.allocations.size).toBe(0);
    const same = await PodIpam.open(file, '10.244.6.0/24');
    expect(same.allocations).toEqual(new Map([['kept', '10.244.6.9']]));
  });
});
