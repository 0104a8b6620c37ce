import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AwsClients } from '../../src/aws/clients.js';
import { CLUSTER_TAG } from '../../src/aws/types.js';
import { type StageOnceOptions, type StagingPolicy, stageOnce } from '../../src/cluster/stage-once.js';
import { RecordingEvents } from '../../src/events.js';
import { templateBucket } from '../../src/provision/template-store.js';
import { type MotoAws, startMotoAws } from '../support/moto-aws.js';

type Arch = 'a' | 'b';

let moto: MotoAws;

beforeAll(async () => {
  moto = await startMotoAws();
}, 120_000);

afterAll(async () => {
  await moto?.stop();
});

const bytes: Record<Arch, Buffer> = { a: Buffer.from('artifact for a'), b: Buffer.from('artifact for b') };
const sha = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

/** Options staging `bytes` under `<cluster>/art/<sha>/<arch>`, with load and verify as given; counts loads. */
function staging(cluster: string, policy: StagingPolicy, over: Partial<StageOnceOptions<Arch>> = {}) {
  const loads: Arch[] = [];
  const events = new RecordingEvents();
  const options: StageOnceOptions<Arch> = {
    aws: moto.aws,
    cluster,
    archs: ['a', 'b'],
    key: (arch) => `${cluster}/art/${sha(bytes[arch])}/${arch}`,
    load: async (arch) => {
      loads.push(arch);
      return bytes[arch];
    },
    verify: (arch, data) => {
      if (sha(data) !== sha(bytes[arch])) throw new Error(`loaded ${arch} is not the pinned one`);
    },
    policy,
    events,
    code: 'art',
    label: (arch) => `art (${arch})`,
    failed: (arch, where, reason) => `art (${arch}) not staged in ${where}: ${reason}`,
    ...over,
  };
  return { loads, events, options };
}

/** moto's S3 for reads, with every PutObject failing as a throttled S3 would. */
function failingPut(): AwsClients {
  return {
    ...moto.aws,
    s3Bundles: {
      objectExists: (ref, key) => moto.aws.s3Bundles.objectExists(ref, key),
      putBinary: async () => {
        throw new Error('s3:PutObject failed: SlowDown');
      },
    },
  };
}

async function objectText(key: string): Promise<string | undefined> {
  const got = await moto.aws.s3.getBytes(await templateBucket(moto.aws), key);
  return got && Buffer.from(got).toString();
}

describe('stageOnce (a pinned artifact in the cluster prefix, once per cluster and architecture)', () => {
  it('uploads each missing key with its bytes; a second run loads and sends nothing', async () => {
    const first = staging('so-once', 'required');
    const keyOf = first.options.key;
    expect(await stageOnce(first.options)).toEqual([
      { arch: 'a', key: keyOf('a'), uploaded: true },
      { arch: 'b', key: keyOf('b'), uploaded: true },
    ]);
    expect(await objectText(keyOf('a'))).toBe('artifact for a');
    expect(await objectText(keyOf('b'))).toBe('artifact for b');
    const ref = await templateBucket(moto.aws);
    expect(await moto.aws.s3.objectTags(ref, keyOf('a'))).toMatchObject({ [CLUSTER_TAG]: 'so-once' });
    expect(first.events.events.map((e) => [e.code, e.message])).toEqual([
      ['art.uploaded', `art (a) uploaded to s3://${ref.bucket}/${keyOf('a')}`],
      ['art.uploaded', `art (b) uploaded to s3://${ref.bucket}/${keyOf('b')}`],
    ]);
    const second = staging('so-once', 'required', {
      load: async () => {
        throw new Error('a staged key must not be loaded again');
      },
    });
    expect(await stageOnce(second.options)).toEqual([
      { arch: 'a', key: keyOf('a'), uploaded: false },
      { arch: 'b', key: keyOf('b'), uploaded: false },
    ]);
    expect(second.events.events.map((e) => e.message)).toEqual([
      `art (a) already in s3://${ref.bucket}/${keyOf('a')}`,
      `art (b) already in s3://${ref.bucket}/${keyOf('b')}`,
    ]);
  }, 60_000);

  const unavailable = async (arch: Arch) => {
    if (arch === 'a') throw new Error('HTTP 404 Not Found\nbody');
    return bytes[arch];
  };

  it('required: an artifact that cannot be loaded fails the run with its error; nothing is staged for it', async () => {
    const run = staging('so-required', 'required', { load: unavailable });
    await expect(stageOnce(run.options)).rejects.toThrow('HTTP 404 Not Found');
    expect(await objectText(run.options.key('a'))).toBeUndefined();
    expect(run.events.codes()).toEqual([]);
  }, 60_000);

  it('warn-if-unavailable: a load failure warns (first line) and the next architecture is staged', async () => {
    const run = staging('so-auto', 'warn-if-unavailable', { load: unavailable });
    const ref = await templateBucket(moto.aws);
    expect(await stageOnce(run.options)).toEqual([{ arch: 'b', key: run.options.key('b'), uploaded: true }]);
    expect(run.events.events.map((e) => [e.code, e.level, e.message])).toEqual([
      [
        'art.upload-failed',
        'warn',
        `art (a) not staged in s3://${ref.bucket}/${run.options.key('a')}: HTTP 404 Not Found`,
      ],
      ['art.uploaded', 'info', `art (b) uploaded to s3://${ref.bucket}/${run.options.key('b')}`],
    ]);
    expect(run.events.events[0]?.data).toEqual({ bucket: ref.bucket, key: run.options.key('a'), arch: 'a' });
    expect(await objectText(run.options.key('a'))).toBeUndefined();
  }, 60_000);

  it('warn-if-unavailable: loaded bytes that are not the pinned ones, or an S3 error, still fail the run', async () => {
    const tampered = staging('so-auto-bad', 'warn-if-unavailable', {
      load: async () => Buffer.from('tampered'),
    });
    await expect(stageOnce(tampered.options)).rejects.toThrow('loaded a is not the pinned one');
    expect(await objectText(tampered.options.key('a'))).toBeUndefined();
    const s3Error = staging('so-auto-s3', 'warn-if-unavailable', { aws: failingPut() });
    await expect(stageOnce(s3Error.options)).rejects.toThrow('SlowDown');
  }, 60_000);

  it('warn: any failure (unavailable, not the pinned bytes, S3) is a warning per architecture; the run goes on', async () => {
    const run = staging('so-warn', 'warn', {
      load: async (arch) => {
        if (arch === 'b') throw new Error('npm ERR! code ENOTCACHED');
        return Buffer.from('tampered');
      },
    });
    expect(await stageOnce(run.options)).toEqual([]);
    expect(
      run.events.events.map((e) => [e.code, e.level, e.message.split(': ').slice(1).join(': ')]),
    ).toEqual([
      ['art.upload-failed', 'warn', 'loaded a is not the pinned one'],
      ['art.upload-failed', 'warn', 'npm ERR! code ENOTCACHED'],
    ]);
    expect(await objectText(run.options.key('a'))).toBeUndefined();
    const s3Error = staging('so-warn-s3', 'warn', { aws: failingPut(), archs: ['b'] });
    expect(await stageOnce(s3Error.options)).toEqual([]);
    expect(s3Error.events.events.map((e) => [e.code, e.level])).toEqual([['art.upload-failed', 'warn']]);
    expect(s3Error.events.events[0]?.message).toContain('SlowDown');
    expect(await objectText(s3Error.options.key('b'))).toBeUndefined();
  }, 60_000);
});
