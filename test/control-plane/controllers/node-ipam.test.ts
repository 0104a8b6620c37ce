import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError } from '../../../src/client/api-error.js';
import type { KubeClient } from '../../../src/client/client.js';
import { resources } from '../../../src/client/types.js';
import { buildNodeIpamRange, reconcileNodeCidrs } from '../../../src/control-plane/controllers/node-ipam.js';
import { type RunningControlPlane, startControlPlane } from '../../../src/control-plane/main.js';
import { UsageError } from '../../../src/errors.js';
import type { Node } from '../../../src/kube/index.js';
import { freePort } from '../../harness/process.js';
import { makeTestPki, type TestPki } from '../../support/certs.js';
import { adminClient } from '../../support/control-cluster.js';
import { waitFor } from '../../support/sim-nodes.js';

const node = (name: string, at: string, podCIDR?: string): Node => ({
  apiVersion: 'v1',
  kind: 'Node',
  metadata: { name, creationTimestamp: at },
  ...(podCIDR ? { spec: { podCIDR, podCIDRs: [podCIDR] } } : {}),
});

describe('reconcileNodeCidrs', () => {
  const range = buildNodeIpamRange({ clusterCidr: '10.244.0.0/16' });

  it('gives nodes without a block the lowest free /24, oldest node first', () => {
    const actions = reconcileNodeCidrs(
      [
        node('c', '2026-01-03T00:00:00Z'),
        node('a', '2026-01-01T00:00:00Z', '10.244.0.0/24'),
        node('b', '2026-01-02T00:00:00Z'),
      ],
      range,
    );
    expect(
      actions.map((a) => a.verb === 'update' && [a.object.metadata.name, (a.object as Node).spec]),
    ).toEqual([
      ['b', { podCIDR: '10.244.1.0/24', podCIDRs: ['10.244.1.0/24'] }],
      ['c', { podCIDR: '10.244.2.0/24', podCIDRs: ['10.244.2.0/24'] }],
    ]);
  });

  it('reuses a deleted node block and leaves assigned nodes alone', () => {
    const actions = reconcileNodeCidrs(
      [node('a', '1', '10.244.0.0/24'), node('c', '3', '10.244.2.0/24'), node('d', '4')],
      range,
    );
    expect(actions).toHaveLength(1);
    expect((actions[0] as { object: Node }).object.spec?.podCIDR).toBe('10.244.1.0/24');
  });

  it('warns about blocks outside the range or taken twice, and when the range is full', () => {
    const small = buildNodeIpamRange({ clusterCidr: '10.0.0.0/23', nodeCidrPrefix: 24 });
    const actions = reconcileNodeCidrs(
      [
        node('a', '1', '10.0.0.0/24'),
        node('b', '2', '10.0.0.0/24'),
        node('c', '3', '192.168.0.0/24'),
        node('d', '4'),
        node('e', '5'),
      ],
      small,
    );
    const summary = actions.map((a) =>
      a.verb === 'event'
        ? `${a.involved.metadata.name}:${a.reason}`
        : `${a.verb}:${(a as { object: Node }).object.spec?.podCIDR}`,
    );
    expect(summary).toEqual([
      'b:CIDRAssignmentFailed',
      'c:CIDRNotAvailable',
      'update:10.0.1.0/24',
      'e:CIDRNotAvailable',
    ]);
    const full = actions[3] as { message: string };
    expect(full.message).toContain('no free /24 block left in the cluster pod range 10.0.0.0/23');
  });

  it('rejects a block prefix that does not fit the range', () => {
    expect(() => buildNodeIpamRange({ clusterCidr: '10.244.0.0/24', nodeCidrPrefix: 24 })).toThrow(
      'use a prefix above /24',
    );
    expect(() => buildNodeIpamRange({ clusterCidr: '10.244.0.1/16' })).toThrow('not a network CIDR');
  });
});

describe('node IPAM in a running control plane', () => {
  let pki: TestPki;
  let cp: RunningControlPlane | undefined;
  let port: number;
  let client: KubeClient;
  const file = (name: string, text: string) => {
    const p = join(pki.dir, name);
    writeFileSync(p, text, { mode: 0o600 });
    return p;
  };
  const start = async (clusterCidr = '10.244.0.0/16') =>
    startControlPlane({
      listen: `127.0.0.1:${port}`,
      dataDir: join(pki.dir, 'data'),
      tlsCertFile: file('server.crt', pki.server.cert),
      tlsPrivateKeyFile: file('server.key', pki.server.key),
      clientCaFile: file('ca.crt', pki.ca.cert),
      controllers: { leaderElection: false, controllers: { nodeIpam: { clusterCidr, nodeCidrPrefix: 24 } } },
    });
  const register = (name: string) =>
    client.create<Node>(resources.nodes, { apiVersion: 'v1', kind: 'Node', metadata: { name } });
  const cidrOf = (name: string) =>
    waitFor(`podCIDR of ${name}`, async () => (await client.get<Node>(resources.nodes, name)).spec?.podCIDR);

  beforeAll(async () => {
    pki = makeTestPki();
    port = await freePort();
    cp = await start();
    client = adminClient(pki, cp.url);
  });

  afterAll(async () => {
    await cp?.stop();
    if (pki) rmSync(pki.dir, { recursive: true, force: true });
  });

  it('assigns, keeps across a restart, and frees on delete', async () => {
    await register('n1');
    await register('n2');
    expect(await cidrOf('n1')).toBe('10.244.0.0/24');
    expect(await cidrOf('n2')).toBe('10.244.1.0/24');
    expect((await client.get<Node>(resources.nodes, 'n2')).spec?.podCIDRs).toEqual(['10.244.1.0/24']);

    await cp?.stop();
    cp = await start();
    await register('n3');
    expect(await cidrOf('n3')).toBe('10.244.2.0/24');
    expect(await cidrOf('n1')).toBe('10.244.0.0/24');

    await client.delete(resources.nodes, 'n2');
    await register('n4');
    expect(await cidrOf('n4')).toBe('10.244.1.0/24');
  });

  it('refuses to change a node block once set (422)', async () => {
    await cidrOf('n1');
    const err = await client
      .patch(resources.nodes, 'n1', { spec: { podCIDR: '10.244.9.0/24', podCIDRs: ['10.244.9.0/24'] } })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).status).toBe(422);
    expect((err as ApiError).message).toContain('may not change podCIDR');
    expect((await client.get<Node>(resources.nodes, 'n1')).spec?.podCIDR).toBe('10.244.0.0/24');
  });

  it('refuses a bad range before listening', async () => {
    await expect(start('10.244.0.0/33')).rejects.toBeInstanceOf(UsageError);
  });
});
