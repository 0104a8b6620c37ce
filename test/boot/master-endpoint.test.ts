import { describe, expect, it } from 'vitest';
import {
  apiServersParameterName,
  publishApiServers,
  readFailoverServers,
} from '../../src/boot/master-endpoint.js';

/** SSM's two calls over a map: what the masters wrote is what the workers read. */
function memorySsm(initial: Record<string, string> = {}) {
  const values = new Map(Object.entries(initial));
  return {
    values,
    async putString(name: string, value: string) {
      values.set(name, value);
    },
    async getSecureString(name: string) {
      return values.get(name);
    },
  };
}

const name = apiServersParameterName('nc');

describe('the masters’ API addresses for the workers’ failover (worker/api-servers)', () => {
  it('is under worker/, which the worker role reads', () => {
    expect(name).toBe('/tugboat/nc/worker/api-servers');
  });

  it('published by a master (duplicates dropped), read by a worker without the server it joins', async () => {
    const ssm = memorySsm();
    await publishApiServers(ssm, 'nc', [
      'https://10.0.0.4:6443',
      'https://10.0.16.4:6443',
      'https://10.0.32.4:6443',
      'https://10.0.16.4:6443',
    ]);
    expect(JSON.parse(ssm.values.get(name)!)).toEqual([
      'https://10.0.0.4:6443',
      'https://10.0.16.4:6443',
      'https://10.0.32.4:6443',
    ]);
    expect(await readFailoverServers(ssm, 'nc', 'https://10.0.16.4:6443')).toEqual([
      'https://10.0.0.4:6443',
      'https://10.0.32.4:6443',
    ]);
    // A worker that joins an address not in the list (an EIP published as worker/api-server) fails over to all.
    expect(await readFailoverServers(ssm, 'nc', 'https://54.1.2.3:6443')).toHaveLength(3);
  });

  it('absent (one master, or a cluster older than the list): no failover, nothing reported', async () => {
    const reasons: string[] = [];
    expect(
      await readFailoverServers(memorySsm(), 'nc', 'https://10.0.0.4:6443', (r) => reasons.push(r)),
    ).toEqual([]);
    expect(reasons).toEqual([]);
  });

  it.each([
    ['not JSON', 'https://10.0.0.4:6443,https://10.0.16.4:6443'],
    ['not a list', '{"servers":[]}'],
    ['a non-string entry', '["https://10.0.0.4:6443", 6443]'],
    ['plain http', '["http://10.0.0.4:6443"]'],
    ['a path or space', '["https://10.0.0.4:6443/x", "https://a b"]'],
  ])('a value that is %s is reported and ignored: the worker joins without failover', async (_, value) => {
    const reasons: string[] = [];
    const got = await readFailoverServers(memorySsm({ [name]: value }), 'nc', 'https://10.0.0.4:6443', (r) =>
      reasons.push(r),
    );
    expect(got).toEqual([]);
    expect(reasons).toHaveLength(1);
    expect(reasons[0]).toContain(`${name} is not a JSON list of https://host:port addresses`);
    expect(reasons[0]).toContain('joining https://10.0.0.4:6443 without failover');
  });
});
