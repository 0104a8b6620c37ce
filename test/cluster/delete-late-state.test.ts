import { CreateAliasCommand, CreateKeyCommand, DescribeKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KmsApi } from '../../src/aws/kms.js';
import type { S3Api } from '../../src/aws/s3.js';
import { deleteCluster } from '../../src/cluster/delete.js';
import { RecordingEvents } from '../../src/index.js';
import { findLeftovers } from '../../src/provision/leftovers.js';
import { templateBucket } from '../../src/provision/template-store.js';
import { type MotoAws, startMotoAws } from '../support/moto-aws.js';
import { launchClusterInstance, motoEc2Client } from '../support/moto-ec2.js';

let env: MotoAws;
beforeAll(async () => {
  env = await startMotoAws();
}, 60_000);
afterAll(async () => {
  await env?.stop();
});

describe('delete and a master that ships its store while shutting down (moto_server)', () => {
  it('sweeps the state objects shipped after the first sweep, and ends clean', async () => {
    const bucket = await templateBucket(env.aws);
    await env.aws.s3.ensurePrivateBucket(bucket, { 'tugboat:managed': 'true' });
    await env.aws.s3.putObject(bucket, 'late/store/log/1/1-9', 'x', {});
    // The master's instance: the prefix must then stay empty for the quiet period after it is terminated.
    const ec2 = motoEc2Client(env.moto);
    await launchClusterInstance(ec2, 'late');
    ec2.destroy();
    // The master keeps shipping after the sweep found its prefix empty: each time a listing of the
    // cluster's objects comes back with no store object, one more lands right after (twice).
    let shipments = 2;
    const s3: S3Api = {
      ...env.aws.s3,
      async listKeys(ref, prefix) {
        const keys = await env.aws.s3.listKeys(ref, prefix);
        if (
          !keys.some((k) => k.startsWith('late/store/')) &&
          'late/store/'.startsWith(prefix) &&
          shipments > 0
        ) {
          shipments--;
          await env.aws.s3.putObject(ref, `late/store/log/1/${10 - shipments}-${20 - shipments}`, 'x', {});
        }
        return keys;
      },
    };
    const events = new RecordingEvents();
    const result = await deleteCluster({
      aws: { ...env.aws, s3 },
      cluster: 'late',
      events,
      sweepDelayMs: 50,
      quietPeriodMs: 500,
    });
    expect(shipments).toBe(0);
    expect(result.clean).toBe(true);
    expect(await findLeftovers(env.aws, 'late')).toEqual([]);
    expect(
      events.events.some(
        (e) =>
          e.code === 'sweep.deleted' &&
          e.message === `state-object s3://${bucket.bucket}/late/store/log/1/10-20`,
      ),
    ).toBe(true);
  }, 120_000);

  it("finds an untagged secrets key after the stack's delete took its alias (a no-client stack) and schedules its deletion", async () => {
    const kms = new KMSClient({
      region: 'us-east-1',
      endpoint: env.moto.endpoint,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
    const keyId = (await kms.send(new CreateKeyCommand({}))).KeyMetadata!.KeyId!;
    await kms.send(new CreateAliasCommand({ AliasName: 'alias/tugboat-untagged', TargetKeyId: keyId }));
    // The alias answers until the stack is deleted (here: until the first sweep looks).
    let aliasGone = false;
    const wrapped: KmsApi = {
      ...env.aws.kms,
      async describeKey(id) {
        return id === 'alias/tugboat-untagged' && aliasGone ? undefined : env.aws.kms.describeKey(id);
      },
    };
    const cloudFormation = {
      ...env.aws.cloudFormation,
      async describeStack(name: string) {
        if (name === 'tugboat-untagged') aliasGone = true;
        return env.aws.cloudFormation.describeStack(name);
      },
    };
    const result = await deleteCluster({
      aws: { ...env.aws, kms: wrapped, cloudFormation },
      cluster: 'untagged',
      sweepDelayMs: 50,
      confirm: async () => {
        aliasGone = false;
        return true;
      },
    });
    expect(result.clean).toBe(true);
    const state = (await kms.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata?.KeyState;
    expect(state).toBe('PendingDeletion');
    kms.destroy();
  }, 120_000);
});
