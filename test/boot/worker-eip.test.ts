import { DescribeAddressesCommand, type EC2Client } from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AwsClients, createAwsClients } from '../../src/aws/clients.js';
import { claimMasterEip } from '../../src/boot/master-eip.js';
import { claimWorkerEip } from '../../src/boot/worker-eip.js';
import { RecordingEvents } from '../../src/events.js';
import { type Moto, startMoto } from '../harness/moto.js';
import { allocatePoolAddress, launchClusterInstance, motoEc2Client } from '../support/moto-ec2.js';

// A worker of a group with `eip: true` takes a pool address at boot (issue 15 with the EIP pool):
// against moto's EC2, which refuses a second association of an address without AllowReassociation.
let moto: Moto;
let ec2: EC2Client;
let aws: AwsClients;
beforeAll(async () => {
  moto = await startMoto();
  ec2 = motoEc2Client(moto);
  aws = await createAwsClients({ env: moto.env });
}, 60_000);
afterAll(async () => {
  ec2?.destroy();
  await moto?.stop();
});

const holders = async (cluster: string) =>
  ((await ec2.send(new DescribeAddressesCommand({}))).Addresses ?? [])
    .filter((a) => a.Tags?.some((t) => t.Key === 'tugboat:cluster' && t.Value === cluster))
    .map((a) => ({
      pool: a.Tags?.find((t) => t.Key === 'tugboat:pool')?.Value,
      instance: a.InstanceId || undefined,
    }));

describe('claimWorkerEip (moto EC2)', () => {
  it("takes its group's own pool first, then workers; a second boot keeps the address it has", async () => {
    const cluster = 'bgeip1';
    await allocatePoolAddress(ec2, cluster, 'workers');
    await allocatePoolAddress(ec2, cluster, 'blue');
    await allocatePoolAddress(ec2, cluster, 'green');
    await allocatePoolAddress(ec2, cluster, 'master');
    const a = await launchClusterInstance(ec2, cluster);
    const events = new RecordingEvents();
    const first = await claimWorkerEip({ ec2: aws.ec2, cluster, group: 'blue', instanceId: a.id, events });
    expect(first).toMatchObject({ outcome: 'claimed', address: { pool: 'blue', instanceId: a.id } });
    expect(events.codes()).toContain('boot.eip-claimed');
    // user-data runs again at every start: the address stays, no second one is taken.
    const again = await claimWorkerEip({ ec2: aws.ec2, cluster, group: 'blue', instanceId: a.id, events });
    expect(again).toMatchObject({
      outcome: 'kept',
      address: { publicIp: first.outcome === 'claimed' ? first.address.publicIp : '' },
    });
    const b = await launchClusterInstance(ec2, cluster);
    expect(
      await claimWorkerEip({ ec2: aws.ec2, cluster, group: 'blue', instanceId: b.id, events }),
    ).toMatchObject({
      outcome: 'claimed',
      address: { pool: 'workers' },
    });
    // Neither the master's address nor another group's is ever taken.
    const c = await launchClusterInstance(ec2, cluster);
    const none = new RecordingEvents();
    expect(
      await claimWorkerEip({ ec2: aws.ec2, cluster, group: 'blue', instanceId: c.id, events: none }),
    ).toEqual({
      outcome: 'none-free',
      pools: ['blue', 'workers', 'any'],
    });
    const warning = none.events.find((e) => e.code === 'boot.eip-none-free');
    expect(warning?.message).toContain(
      `no free Elastic IP in pool blue or workers of ${cluster} for ${c.id}`,
    );
    expect(warning?.message).toContain('raise eipPool.size');
    expect((await holders(cluster)).sort((x, y) => String(x.pool).localeCompare(String(y.pool)))).toEqual([
      { pool: 'blue', instance: a.id },
      { pool: 'green', instance: undefined },
      { pool: 'master', instance: undefined },
      { pool: 'workers', instance: b.id },
    ]);
  }, 60_000);

  it('instances racing for the pool never share an address: each gets its own or none-free', async () => {
    const cluster = 'bgeip2';
    await allocatePoolAddress(ec2, cluster, 'workers');
    await allocatePoolAddress(ec2, cluster, 'workers');
    const instances = await Promise.all([1, 2, 3, 4].map(() => launchClusterInstance(ec2, cluster)));
    const results = await Promise.all(
      instances.map((i) =>
        claimWorkerEip({ ec2: aws.ec2, cluster, instanceId: i.id, events: new RecordingEvents() }),
      ),
    );
    const won = results.filter((r) => r.outcome === 'claimed');
    expect(won).toHaveLength(2);
    expect(results.filter((r) => r.outcome === 'none-free')).toHaveLength(2);
    const held = await holders(cluster);
    expect(held.every((h) => h.instance)).toBe(true);
    expect(new Set(held.map((h) => h.instance)).size).toBe(2);
    // What each claim says it got is what EC2 has.
    for (const r of won)
      if (r.outcome === 'claimed') expect(held.map((h) => h.instance)).toContain(r.address.instanceId);
  }, 60_000);
});

describe('claimMasterEip (moto EC2): masters forming a cluster at once', () => {
  it('four masters racing for two master addresses: two hold one each, never shared, the others none; workers untouched', async () => {
    const cluster = 'bgeip3';
    await allocatePoolAddress(ec2, cluster, 'master');
    await allocatePoolAddress(ec2, cluster, 'master');
    await allocatePoolAddress(ec2, cluster, 'workers');
    const instances = await Promise.all([1, 2, 3, 4].map(() => launchClusterInstance(ec2, cluster)));
    const events = instances.map(() => new RecordingEvents());
    const results = await Promise.all(
      instances.map((i, n) => claimMasterEip(aws.ec2, cluster, i.id, events[n]!)),
    );
    const won = results.filter((r) => r !== undefined);
    expect(won).toHaveLength(2);
    const held = await holders(cluster);
    const masters = held.filter((h) => h.pool === 'master');
    expect(new Set(masters.map((h) => h.instance)).size).toBe(2);
    expect(masters.map((h) => h.instance).sort()).toEqual(won.map((r) => r!.instanceId).sort());
    expect(held.find((h) => h.pool === 'workers')?.instance).toBeUndefined();
    const losers = events.filter((_, n) => results[n] === undefined);
    for (const e of losers) expect(e.codes()).toContain('boot.eip-none-free');
    // A boot run again keeps the address it holds.
    const keeper = won[0]!;
    expect(
      (await claimMasterEip(aws.ec2, cluster, keeper.instanceId!, new RecordingEvents()))?.allocationId,
    ).toBe(keeper.allocationId);
    // No master pool at all (master.eip: false): nothing taken, nothing said.
    const quiet = new RecordingEvents();
    expect(await claimMasterEip(aws.ec2, 'bgeip-none', instances[0]!.id, quiet)).toBeUndefined();
    expect(quiet.codes()).toEqual([]);
  }, 60_000);
});
