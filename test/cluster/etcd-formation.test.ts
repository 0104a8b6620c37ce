import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  etcdFormationParameterName,
  readEtcdFormation,
  writeEtcdFormation,
} from '../../src/boot/etcd-formation.js';
import type { BootstrapContext } from '../../src/bootstrap/cluster-bootstrap.js';
import { prepareBootstrap } from '../../src/cluster/bootstrap-step.js';
import { markEtcdFormed, prepareEtcdFormation } from '../../src/cluster/etcd-formation-step.js';
import { RecordingEvents } from '../../src/events.js';
import { parameterLeftovers } from '../../src/provision/leftovers-storage.js';
import { type MotoAws, startMotoAws } from '../support/moto-aws.js';

// Issue 17: who forms a new cluster's etcd, as `tugboat create` and bootstrap leave it in SSM
// (moto_server) for the masters' boots to read.
let env: MotoAws;
beforeAll(async () => {
  env = await startMotoAws();
}, 60_000);
afterAll(() => env?.stop());

const formed = (members: string[]) =>
  ({ state: 'formed', by: 'bootstrap', members, at: '2026-12-01T00:00:00.000Z' }) as const;

describe('create: the marker before the stack', () => {
  it('with the SSH bootstrap coming it says bootstrap; a re-run keeps it, and keeps a formed cluster formed', async () => {
    const ssm = env.aws.ssm;
    const events = new RecordingEvents();
    const base = { cluster: 'crf-a', etcd: true, bootstrap: true, events };
    await prepareEtcdFormation(ssm, { ...base, newStack: true });
    expect(await readEtcdFormation(ssm, 'crf-a')).toMatchObject({ state: 'bootstrap' });
    await prepareEtcdFormation(ssm, { ...base, newStack: false });
    expect(await readEtcdFormation(ssm, 'crf-a')).toMatchObject({ state: 'bootstrap' });
    await writeEtcdFormation(ssm, 'crf-a', formed(['i-1', 'i-2', 'i-3']));
    await prepareEtcdFormation(ssm, { ...base, newStack: false });
    await prepareEtcdFormation(ssm, { ...base, bootstrap: false, newStack: false });
    expect(await readEtcdFormation(ssm, 'crf-a')).toEqual(formed(['i-1', 'i-2', 'i-3']));
    expect(events.codes()).toEqual([]);
  });

  it('a formed marker found before a new stack is stale (a deleted cluster of that name): replaced, said', async () => {
    const ssm = env.aws.ssm;
    const events = new RecordingEvents();
    const create = (bootstrap: boolean, newStack: boolean) =>
      prepareEtcdFormation(ssm, { cluster: 'crf-b', etcd: true, bootstrap, newStack, events });
    await writeEtcdFormation(ssm, 'crf-b', formed(['i-old']));
    await create(true, true);
    expect(await readEtcdFormation(ssm, 'crf-b')).toMatchObject({ state: 'bootstrap' });
    expect(events.codes()).toEqual(['etcd.formation-stale']);
    expect(events.events[0]!.message).toMatch(/members i-old\): left from an earlier cluster of this name/);
    // --no-bootstrap on a new stack: no marker at all (the boots form etcd), whatever was there.
    await writeEtcdFormation(ssm, 'crf-b', formed(['i-old']));
    await create(false, true);
    expect(await readEtcdFormation(ssm, 'crf-b')).toBeUndefined();
    // Garbage before a new stack is replaced too; on an existing stack it is an error with the fix.
    await ssm.putString(etcdFormationParameterName('crf-b'), 'garbage', {});
    await expect(create(true, false)).rejects.toMatchObject({ code: 'ETCD_FORMATION_MARKER' });
    await create(true, true);
    expect(await readEtcdFormation(ssm, 'crf-b')).toMatchObject({ state: 'bootstrap' });
  });

  it('--no-bootstrap after a create that meant to bootstrap clears it and says who waits', async () => {
    const ssm = env.aws.ssm;
    const events = new RecordingEvents();
    const base = { cluster: 'crf-c', etcd: true, events };
    await prepareEtcdFormation(ssm, { ...base, bootstrap: true, newStack: true });
    await prepareEtcdFormation(ssm, { ...base, bootstrap: false, newStack: false });
    expect(await readEtcdFormation(ssm, 'crf-c')).toBeUndefined();
    expect(events.events.map((e) => e.message)).toEqual([
      expect.stringMatching(/those already booted wait: run tugboat bootstrap crf-c/),
    ]);
  });

  it('the embedded store writes nothing', async () => {
    const events = new RecordingEvents();
    await prepareEtcdFormation(env.aws.ssm, {
      cluster: 'crf-d',
      etcd: false,
      bootstrap: true,
      newStack: true,
      events,
    });
    expect(await env.aws.ssm.listParameters('/tugboat/crf-d/')).toEqual([]);
  });
});

describe('bootstrap: the formed marker', () => {
  it('written once every master is a member (also for a cluster older than the marker), never twice', async () => {
    const ssm = env.aws.ssm;
    const events = new RecordingEvents();
    const opts = { cluster: 'crf-e', store: 'etcd' as const, members: ['i-1', 'i-2', 'i-3'], events };
    expect(await markEtcdFormed(ssm, opts)).toBe(true);
    expect(await readEtcdFormation(ssm, 'crf-e')).toMatchObject({
      state: 'formed',
      by: 'bootstrap',
      members: ['i-1', 'i-2', 'i-3'],
    });
    expect(await markEtcdFormed(ssm, { ...opts, members: ['i-9'] })).toBe(false);
    expect(events.codes()).toEqual(['etcd.formed-marker']);
    expect(await markEtcdFormed(ssm, { ...opts, cluster: 'crf-f', store: 'embedded' })).toBe(false);
    expect(await readEtcdFormation(ssm, 'crf-f')).toBeUndefined();
  });

  it('delete finds it with the cluster’s other parameters, and removes it', async () => {
    const ssm = env.aws.ssm;
    const left = await parameterLeftovers(env.aws, 'crf-e');
    expect(left).toContainEqual({ kind: 'ssm-parameter', id: '/tugboat/crf-e/master/etcd-formation' });
    await ssm.deleteParameters(left.map((l) => l.id));
    expect(await parameterLeftovers(env.aws, 'crf-e')).toEqual([]);
  });
});

describe("a library caller's own bootstrap function", () => {
  const host = (id: string, role: 'master' | 'worker', group: string, state = 'running') => ({
    id,
    role,
    group,
    zone: 'us-east-1a',
    lifecycleState: 'InService',
    state,
    privateIp: `10.0.0.${id.length}`,
  });
  const inventory = {
    cluster: 'crf-g',
    groups: [],
    hosts: [
      host('i-m2', 'master', 'master-2'),
      host('i-m1', 'master', 'master-1'),
      host('i-m3', 'master', 'master-3'),
      host('i-w1', 'worker', 'blue'),
      host('i-gone', 'master', 'master-3', 'terminated'),
    ],
  };

  it('once it succeeded the marker says formed with the running masters; one that throws writes nothing', async () => {
    const ssm = env.aws.ssm;
    const events = new RecordingEvents();
    const context = {
      cluster: 'crf-g',
      inventory,
      keyPair: { keyName: 'tugboat-crf-g', imported: false },
      stack: { id: 'arn', name: 'tugboat-crf-g', status: 'CREATE_COMPLETE', outputs: {} },
      events,
    } as unknown as BootstrapContext;
    const failing = prepareBootstrap(
      async () => {
        throw new Error('no');
      },
      { skipReady: false, ssm },
    )!;
    await expect(failing.hook(context)).rejects.toThrow('no');
    expect(await readEtcdFormation(ssm, 'crf-g')).toBeUndefined();
    let ran = false;
    const step = prepareBootstrap(
      async () => {
        ran = true;
      },
      { skipReady: false, ssm },
    )!;
    await step.hook(context);
    expect(ran).toBe(true);
    expect(await readEtcdFormation(ssm, 'crf-g')).toMatchObject({
      state: 'formed',
      by: 'bootstrap',
      members: ['i-m1', 'i-m2', 'i-m3'],
    });
  });
});
