import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  GetBucketEncryptionCommand,
  GetBucketTaggingCommand,
  GetPublicAccessBlockCommand,
  ListBucketsCommand,
  ListObjectsV2Command,
  S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEMPLATE_BODY_LIMIT } from '../../src/provision/template/index.js';
import { type Moto, startMoto } from '../harness/moto.js';
import { writeTestSpec } from '../support/aws-spec.js';
import { runCli } from '../support/cli.js';
import { describeTagged } from '../support/tagged-resources.js';

// moto_server's fixed account id.
const BUCKET = 'tugboat-templates-123456789012-us-east-1';

describe('templates above the 51,200-byte inline limit go through S3 (moto_server)', () => {
  let moto: Moto;
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let s3: S3Client;
  const cli = (...argv: string[]) => runCli(argv, { env, cwd: dir });
  const json = async <T>(...argv: string[]): Promise<T> => {
    const run = await cli('-o', 'json', ...argv);
    expect(run.code, run.stderr).toBe(0);
    return JSON.parse(run.stdout) as T;
  };
  const objects = async () =>
    ((await s3.send(new ListObjectsV2Command({ Bucket: BUCKET }))).Contents ?? []).map((o) => o.Key);
  // The cluster's host bundle and Node.js runtime stay under <cluster>/bundles/ and <cluster>/runtime/
  // for instances that boot later; a staged template is deleted once CloudFormation has read it.
  const templates = async () =>
    (await objects()).filter((k) => !k?.includes('/bundles/') && !k?.includes('/runtime/'));
  const compactBytes = async (spec: string) => {
    const run = await cli('template', '-f', spec);
    expect(run.code, run.stderr).toBe(0);
    return Buffer.byteLength(JSON.stringify(JSON.parse(run.stdout)));
  };

  beforeAll(async () => {
    moto = await startMoto();
    dir = mkdtempSync(join(tmpdir(), `tugboat-large-${process.pid}-`));
    env = { ...process.env, ...moto.env, TUGBOAT_STATE_DIR: join(dir, 'state') };
    delete env.AWS_PROFILE;
    s3 = new S3Client({
      region: 'us-east-1',
      endpoint: moto.endpoint,
      forcePathStyle: true,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
  });
  afterAll(async () => {
    await moto?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('creates, updates and deletes a 20-group cluster; the bucket is private and keeps no template', async () => {
    const spec = writeTestSpec(dir, { name: 'wide', desired: 1, extraGroups: 19 });
    expect(await compactBytes(spec)).toBeGreaterThan(TEMPLATE_BODY_LIMIT);

    const created = await json<{ stackStatus: string; hosts: { group: string }[] }>(
      'create',
      '-f',
      spec,
      '--no-bootstrap',
    );
    expect(created.stackStatus).toBe('CREATE_COMPLETE');
    expect(new Set(created.hosts.map((h) => h.group)).size).toBe(21);
    expect(await templates()).toEqual([]);

    const buckets = (await s3.send(new ListBucketsCommand({}))).Buckets?.map((b) => b.Name);
    expect(buckets).toEqual([BUCKET]);
    const block = await s3.send(new GetPublicAccessBlockCommand({ Bucket: BUCKET }));
    expect(block.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      IgnorePublicAcls: true,
      BlockPublicPolicy: true,
      RestrictPublicBuckets: true,
    });
    const sse = await s3.send(new GetBucketEncryptionCommand({ Bucket: BUCKET }));
    expect(
      sse.ServerSideEncryptionConfiguration?.Rules?.[0]?.ApplyServerSideEncryptionByDefault?.SSEAlgorithm,
    ).toBe('AES256');
    const tags = await s3.send(new GetBucketTaggingCommand({ Bucket: BUCKET }));
    expect(tags.TagSet).toEqual([{ Key: 'tugboat:managed', Value: 'true' }]);

    // A change set takes the large template by URL too.
    const respec = writeTestSpec(dir, { name: 'wide', desired: 2, extraGroups: 19 });
    const updated = await json<{ action: string; groups: { name: string; inService: number }[] }>(
      'update',
      '-f',
      respec,
      '--yes',
      // Emulator only: no hosts to bootstrap.
      '--no-bootstrap',
    );
    expect(updated.action).toBe('updated');
    expect(updated.groups.find((g) => g.name === 'workers')?.inService).toBe(2);
    expect(await templates()).toEqual([]);

    const deleted = await json<{ clean: boolean }>('delete', 'wide', '--yes');
    expect(deleted.clean).toBe(true);
    expect(await describeTagged(moto.env, 'wide')).toEqual([]);
  });

  it('creates and deletes a 25-group cluster; eip assign says no group wants EIPs', async () => {
    const spec = writeTestSpec(dir, { name: 'wider', desired: 1, extraGroups: 24, masterEip: false });
    expect(await compactBytes(spec)).toBeGreaterThan(TEMPLATE_BODY_LIMIT);
    const created = await json<{ stackStatus: string; hosts: unknown[] }>(
      'create',
      '-f',
      spec,
      '--no-bootstrap',
    );
    expect(created.stackStatus).toBe('CREATE_COMPLETE');
    expect(created.hosts).toHaveLength(26);
    expect(await templates()).toEqual([]);
    const assign = await cli('eip', 'assign', 'wider');
    expect(assign.code).toBe(2);
    expect(assign.stderr).toContain('no group of cluster wider has eip: true');
    const pool = await json<{ eips: { instanceId?: string }[] }>('eip', 'list', 'wider');
    expect(pool.eips.filter((e) => e.instanceId)).toEqual([]);
    const deleted = await json<{ clean: boolean }>('delete', 'wider', '--yes');
    expect(deleted.clean).toBe(true);
    expect(await describeTagged(moto.env, 'wider')).toEqual([]);
  });
});
