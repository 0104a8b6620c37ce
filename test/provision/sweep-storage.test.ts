import { CreateAliasCommand, CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RecordingEvents } from '../../src/index.js';
import { findLeftovers } from '../../src/provision/leftovers.js';
import { proveDeleted } from '../../src/provision/proof.js';
import { sweepCluster } from '../../src/provision/sweep.js';
import { templateBucket } from '../../src/provision/template-store.js';
import { type MotoAws, startMotoAws } from '../support/moto-aws.js';

let env: MotoAws;
let kms: KMSClient;

/** A customer key, optionally tagged for a cluster and/or given an alias. */
async function key(options: { cluster?: string; alias?: string } = {}): Promise<string> {
  const out = await kms.send(
    new CreateKeyCommand({
      Description: 'awssec sweep test',
      ...(options.cluster ? { Tags: [{ TagKey: 'tugboat:cluster', TagValue: options.cluster }] } : {}),
    }),
  );
  const id = out.KeyMetadata!.KeyId!;
  if (options.alias) await kms.send(new CreateAliasCommand({ AliasName: options.alias, TargetKeyId: id }));
  return id;
}

beforeAll(async () => {
  env = await startMotoAws();
  kms = new KMSClient({
    region: 'us-east-1',
    endpoint: env.moto.endpoint,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
}, 60_000);
afterAll(async () => {
  kms?.destroy();
  await env?.stop();
});

describe('delete covers S3 objects, SSM parameters and KMS keys (moto_server)', () => {
  it('finds, deletes and proves gone the cluster storage, keeps backups when asked, and touches no other cluster', async () => {
    const ssm = env.aws.ssm;
    const byAlias = await key({ alias: 'alias/tugboat-awssec-sw' });
    const byTag = await key({ cluster: 'awssec-sw' });
    const theirKey = await key({ cluster: 'awssec-sw-2', alias: 'alias/tugboat-awssec-sw-2' });
    await ssm.createSecureString('/tugboat/awssec-sw/master/ca', 'ca', { keyId: byAlias, tags: {} });
    await ssm.createSecureString('/tugboat/awssec-sw/worker/bootstrap-token', 't', {
      keyId: byAlias,
      tags: {},
    });
    await ssm.createSecureString('/tugboat/awssec-sw-2/master/ca', 'theirs', { keyId: theirKey, tags: {} });
    const bucket = await templateBucket(env.aws);
    await env.aws.s3.ensurePrivateBucket(bucket, { 'tugboat:managed': 'true' });
    for (const k of [
      'awssec-sw/store/log/1/1-9',
      'awssec-sw/bundles/abc/host.tgz',
      'awssec-sw/backups/2026-12-02T16-00-00Z/snap',
      'awssec-sw-2/store/log/1/1-3',
    ]) {
      await env.aws.s3.putObject(bucket, k, 'x', {});
    }

    const before = await findLeftovers(env.aws, 'awssec-sw');
    const ids = (kind: string) =>
      before
        .filter((l) => l.kind === kind)
        .map((l) => l.id)
        .sort();
    expect(ids('ssm-parameter')).toEqual([
      '/tugboat/awssec-sw/master/ca',
      '/tugboat/awssec-sw/worker/bootstrap-token',
    ]);
    expect(ids('kms-key')).toEqual([byAlias, byTag].sort());
    expect(ids('state-object')).toHaveLength(3);
    expect(ids('state-object').join()).not.toContain('awssec-sw-2');
    const kept = await findLeftovers(env.aws, 'awssec-sw', { keepBackups: true });
    expect(kept.filter((l) => l.kind === 'state-object')).toHaveLength(2);

    const result = await sweepCluster({
      aws: env.aws,
      cluster: 'awssec-sw',
      events: new RecordingEvents(),
      retryDelayMs: 10,
      keepBackups: true,
    });
    expect(result.remaining).toEqual([]);
    const order = result.deleted.map((d) => d.kind);
    expect(order.lastIndexOf('ssm-parameter')).toBeLessThan(order.indexOf('kms-key'));
    const proof = await proveDeleted(env.aws, 'awssec-sw', undefined, { keepBackups: true });
    expect(proof).toMatchObject({ clean: true, remaining: [], keptBackups: 1 });
    expect(proof.checks.map((c) => c.kind)).toEqual(
      expect.arrayContaining(['ssm-parameter', 'kms-key', 'state-object']),
    );

    // The keys are pending deletion (7 days), which counts as gone; the backup is still there.
    for (const id of [byAlias, byTag])
      expect((await env.aws.kms.describeKey(id))?.state).toBe('PendingDeletion');
    expect(await env.aws.s3.listKeys(bucket, 'awssec-sw/')).toEqual([
      'awssec-sw/backups/2026-12-02T16-00-00Z/snap',
    ]);
    // Without keepBackups the backup is a leftover, and the proof says so until it is swept.
    const strict = await proveDeleted(env.aws, 'awssec-sw');
    expect(strict).toMatchObject({ clean: false, remaining: [{ kind: 'state-object' }], keptBackups: 0 });
    await sweepCluster({
      aws: env.aws,
      cluster: 'awssec-sw',
      events: new RecordingEvents(),
      retryDelayMs: 10,
    });
    expect((await proveDeleted(env.aws, 'awssec-sw')).clean).toBe(true);

    // The other cluster's key, parameter and objects are untouched.
    expect((await env.aws.kms.describeKey(theirKey))?.state).toBe('Enabled');
    expect(await ssm.getSecureString('/tugboat/awssec-sw-2/master/ca')).toBe('theirs');
    expect(await env.aws.s3.listKeys(bucket, '')).toEqual(['awssec-sw-2/store/log/1/1-3']);
  });
});
