import { type EC2Client, StopInstancesCommand, TerminateInstancesCommand } from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEipClaimEc2 } from '../../src/aws/eip-claim.js';
import { ec2InstanceVerifier, instanceIdOfNode } from '../../src/aws/instance-verifier.js';
import { type Moto, startMoto } from '../harness/moto.js';
import { launchClusterInstance, motoEc2Client } from '../support/moto-ec2.js';

// The EC2 instance verifier of TLS bootstrapping and node cleanup, against moto_server.
describe('EC2 instance verifier', () => {
  let moto: Moto;
  let ec2: EC2Client;
  const launch = (cluster: string) => launchClusterInstance(ec2, cluster);

  beforeAll(async () => {
    moto = await startMoto();
    ec2 = motoEc2Client(moto);
  });
  afterAll(async () => {
    ec2?.destroy();
    await moto?.stop();
  });

  it('knows running instances of its cluster only, and instances that are gone', async () => {
    const verifier = ec2InstanceVerifier(createEipClaimEc2('us-east-1', moto.env), 'csr-blue');
    const mine = await launch('csr-blue');
    const theirs = await launch('csr-green');
    const stopped = await launch('csr-blue');
    const ended = await launch('csr-blue');
    await ec2.send(new StopInstancesCommand({ InstanceIds: [stopped.id] }));
    await ec2.send(new TerminateInstancesCommand({ InstanceIds: [ended.id] }));

    expect(await verifier.isRunningNode(mine.id)).toBe(true);
    expect(await verifier.isRunningNode(mine.id, [mine.ip])).toBe(true);
    expect(await verifier.isRunningNode(mine.id, [mine.ip, '10.99.99.99'])).toBe(false);
    expect(await verifier.isRunningNode(theirs.id)).toBe(false);
    expect(await verifier.isRunningNode(stopped.id)).toBe(false);
    expect(await verifier.isRunningNode(ended.id)).toBe(false);
    expect(await verifier.isRunningNode('i-0123456789abcdef0')).toBe(false);
    expect(await verifier.isRunningNode('worker-1')).toBe(false);

    expect(await verifier.instanceState({ name: mine.id })).toBe('exists');
    expect(await verifier.instanceState({ name: 'x', providerID: `aws:///us-east-1a/${stopped.id}` })).toBe(
      'exists',
    );
    expect(await verifier.instanceState({ name: ended.id })).toBe('gone');
    expect(await verifier.instanceState({ name: 'i-0123456789abcdef0' })).toBe('gone');
    expect(await verifier.instanceState({ name: 'worker-1' })).toBe('unknown');
  });

  it('reads instance ids from provider ids and names', () => {
    expect(instanceIdOfNode({ name: 'n', providerID: 'aws:///eu-west-1b/i-0abc12345678def90' })).toBe(
      'i-0abc12345678def90',
    );
    expect(instanceIdOfNode({ name: 'i-0abc1234' })).toBe('i-0abc1234');
    expect(instanceIdOfNode({ name: 'node-1' })).toBeUndefined();
    expect(instanceIdOfNode({ name: 'node-1', providerID: 'gce://p/z/node-1' })).toBeUndefined();
  });
});
