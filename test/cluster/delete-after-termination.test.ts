import type { EC2Client } from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Ec2SweepApi } from '../../src/aws/ec2-sweep.js';
import type { BucketRef } from '../../src/aws/s3.js';
import { deleteCluster } from '../../src/cluster/delete.js';
import { RecordingEvents } from '../../src/index.js';
import { sweepObjectsUntilQuiet, waitInstancesTerminated } from '../../src/provision/after-termination.js';
import { templateBucket } from '../../src/provision/template-store.js';
import { type MotoAws, startMotoAws } from '../support/moto-aws.js';
import { launchClusterInstance, motoEc2Client } from '../support/moto-ec2.js';

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

let env: MotoAws;
let ec2: EC2Client;
let bucket: BucketRef;
beforeAll(async () => {
  env = await startMotoAws();
  ec2 = motoEc2Client(env.moto);
  bucket = await templateBucket(env.aws);
  await env.aws.s3.ensurePrivateBucket(bucket, { 'tugboat:managed': 'true' });
}, 60_000);
afterAll(async () => {
  ec2?.destroy();
  await env?.stop();
});

/**
 * EC2 as AWS shows a terminating instance (moto terminates at once): `shutting-down` for
 * `shutdownMs` after TerminateInstances, then `terminated`.
 */
function slowShutdown(shutdownMs: number): Ec2SweepApi {
  const real = env.aws.ec2Sweep;
  const terminatedAt = new Map<string, number>();
  return {
    ...real,
    async terminateInstances(ids) {
      for (const id of ids) if (!terminatedAt.has(id)) terminatedAt.set(id, Date.now());
      await real.terminateInstances(ids);
    },
    async describeInstances(filters) {
      return (await real.describeInstances(filters)).map((i) => {
        const at = terminatedAt.get(i.id);
        return at !== undefined && i.state === 'terminated' && Date.now() - at < shutdownMs
          ? { ...i, state: 'shutting-down' }
          : i;
      });
    },
  };
}

describe('delete and hosts that write to the cluster prefix until their instances are off (moto_server)', () => {
  it('waits for terminated, sweeps until the prefix stays quiet, ends clean, and nothing lands afterwards', async () => {
    const cluster = 'writer';
    const { id } = await launchClusterInstance(ec2, cluster);
    const ec2Sweep = slowShutdown(2_500);
    // The master: ships a log object every 100 ms while its instance is not terminated (as
    // EC2 reports it), then one upload that was in flight when it went down lands 300 ms later.
    let shipped = 0;
    let shippedAfterTerminate = 0;
    let terminateCalled = false;
    const writer = (async () => {
      for (let n = 0; n < 3_000; n++) {
        const [me] = await ec2Sweep.describeInstances([{ name: 'instance-id', values: [id] }]);
        if (!me || me.state === 'terminated') break;
        await env.aws.s3.putObject(bucket, `${cluster}/store/log/1/${n}-${n}`, 'x', {});
        shipped++;
        if (terminateCalled) shippedAfterTerminate++;
        await pause(100);
      }
      await pause(300);
      await env.aws.s3.putObject(bucket, `${cluster}/store/log/1/in-flight`, 'x', {});
      shippedAfterTerminate++;
    })();
    const watched: Ec2SweepApi = {
      ...ec2Sweep,
      async terminateInstances(ids) {
        terminateCalled = true;
        await ec2Sweep.terminateInstances(ids);
      },
    };
    while (shipped < 3) await pause(50);
    const events = new RecordingEvents();
    const result = await deleteCluster({
      aws: { ...env.aws, ec2Sweep: watched },
      cluster,
      events,
      sweepDelayMs: 50,
      pollIntervalMs: 200,
      quietPeriodMs: 2_000,
    });
    await writer;
    expect(shippedAfterTerminate).toBeGreaterThan(1);
    expect(result.clean).toBe(true);
    expect(await env.aws.s3.listKeys(bucket, `${cluster}/`)).toEqual([]);
    const phases = events.events.filter((e) => e.code === 'phase.end').map((e) => e.data?.phase);
    expect(phases.indexOf('instances')).toBeGreaterThan(phases.lastIndexOf('sweep'));
    expect(phases.indexOf('settle')).toBeGreaterThan(phases.indexOf('instances'));
    expect(phases.indexOf('proof')).toBeGreaterThan(phases.indexOf('settle'));
  }, 180_000);

  it('names the instances that never reach terminated', async () => {
    const { id } = await launchClusterInstance(ec2, 'stuck');
    const ec2Sweep = slowShutdown(3_600_000);
    await ec2Sweep.terminateInstances([id]);
    await expect(
      waitInstancesTerminated({
        aws: { ...env.aws, ec2Sweep },
        cluster: 'stuck',
        pollIntervalMs: 100,
        timeoutMs: 500,
      }),
    ).rejects.toThrow(`instances of cluster stuck are still not terminated after 1 s: ${id} (shutting-down)`);
  }, 60_000);

  it('terminates again an instance that is running after the sweep, and waits for it', async () => {
    const { id } = await launchClusterInstance(ec2, 'again');
    const { waitedMs } = await waitInstancesTerminated({
      aws: env.aws,
      cluster: 'again',
      pollIntervalMs: 100,
    });
    expect(waitedMs).toBeGreaterThanOrEqual(0);
    const [me] = await env.aws.ec2Sweep.describeInstances([{ name: 'instance-id', values: [id] }]);
    expect(me?.state).toBe('terminated');
  }, 60_000);

  it('gives up with the keys when objects keep appearing under the prefix', async () => {
    let writing = true;
    const writer = (async () => {
      for (let n = 0; writing && n < 1_000; n++) {
        await env.aws.s3.putObject(bucket, `noisy/store/log/1/${n}`, 'x', {});
        await pause(50);
      }
    })();
    try {
      await expect(
        sweepObjectsUntilQuiet({
          aws: env.aws,
          cluster: 'noisy',
          events: new RecordingEvents(),
          quietMs: 400,
          pollIntervalMs: 100,
          timeoutMs: 1_500,
        }),
      ).rejects.toThrow(
        /objects still appear under s3:\/\/tugboat-templates-[^ ]+\/noisy\/ 2 s after .*noisy\/store\/log\/1\//,
      );
    } finally {
      writing = false;
      await writer;
    }
    // Once the writer stopped, the same sweep finishes, and keeps what it was told to keep.
    await env.aws.s3.putObject(bucket, 'noisy/backups/b1/manifest.json', 'x', {});
    const done = await sweepObjectsUntilQuiet({
      aws: env.aws,
      cluster: 'noisy',
      events: new RecordingEvents(),
      keepBackups: true,
      quietMs: 300,
    });
    expect(done.listings).toBeGreaterThan(1);
    expect(await env.aws.s3.listKeys(bucket, 'noisy/')).toEqual(['noisy/backups/b1/manifest.json']);
  }, 60_000);
});
