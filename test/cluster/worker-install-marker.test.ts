import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  parseWorkerInstallMarker,
  waitWhileCreateInstalls,
  workerInstallMarkerName,
  writeWorkerInstallMarker,
} from '../../src/boot/worker-install-marker.js';
import { holdWorkerInstall } from '../../src/cluster/worker-install-step.js';
import {
  type BootstrapContext,
  bootstrapRunningCluster,
  createCluster,
  deleteCluster,
  RecordingEvents,
  scaleGroup,
  updateCluster,
} from '../../src/index.js';
import { parameterLeftovers } from '../../src/provision/leftovers-storage.js';
import { testDefinition } from '../support/aws-template.js';
import { type MotoAws, startMotoAws } from '../support/moto-aws.js';

// Issue 17: one installer per worker at create. `tugboat create` says in SSM (moto_server) that it
// installs the workers over SSH; a worker's boot from user-data reads it and waits.
let env: MotoAws;
beforeAll(async () => {
  env = await startMotoAws();
}, 60_000);
afterAll(() => env?.stop());

const fast = { pollIntervalMs: 200, timeoutMs: 60_000 };
const read = async (cluster: string) => {
  const text = await env.aws.ssm.getSecureString(workerInstallMarkerName(cluster));
  return text === undefined ? undefined : parseWorkerInstallMarker(text);
};

describe('create holds the worker install marker while it bootstraps', () => {
  it('written before the stack, there while bootstrap runs, gone once it finished; --no-bootstrap writes none', async () => {
    const { aws, stateRoot } = env;
    const seen: unknown[] = [];
    const bootstrap = async (_context: BootstrapContext) => {
      seen.push(await read('wim'));
    };
    const created = await createCluster({
      aws,
      stateRoot,
      definition: testDefinition('wim', { secretsKey: true }),
      bootstrap,
      ...fast,
    });
    expect(created.bootstrapped).toBe(true);
    expect(seen).toEqual([{ by: 'create', at: expect.stringMatching(/^\d{4}-/) }]);
    expect(await read('wim')).toBeUndefined();
    // A create whose bootstrap fails leaves it (a re-run takes over; else it goes stale) ...
    await expect(
      createCluster({
        aws,
        stateRoot,
        definition: testDefinition('wim', { secretsKey: true }),
        bootstrap: async () => {
          throw new Error('ssh: connection refused');
        },
        ...fast,
      }),
    ).rejects.toThrow('connection refused');
    expect(await read('wim')).toMatchObject({ by: 'create' });
    // ... and --no-bootstrap removes it: the workers join by themselves at once.
    await createCluster({
      aws,
      stateRoot,
      definition: testDefinition('wim', { secretsKey: true }),
      bootstrap: false,
      ...fast,
    });
    expect(await read('wim')).toBeUndefined();
    // scale and update launch instances and install them over SSH: they hold it the same way.
    const byHook: unknown[] = [];
    const hook = async () => {
      byHook.push(await read('wim'));
    };
    await scaleGroup({
      aws,
      cluster: 'wim',
      group: 'workers',
      desired: 3,
      stateRoot,
      bootstrap: hook,
      ...fast,
    });
    await updateCluster({
      aws,
      definition: testDefinition('wim', {
        secretsKey: true,
        groups: [{ name: 'workers', min: 0, max: 5, desired: 4 }],
      }),
      stateRoot,
      bootstrap: hook,
      ...fast,
    });
    expect(byHook).toEqual([
      { by: 'scale', at: expect.any(String) },
      { by: 'update', at: expect.any(String) },
    ]);
    expect(await read('wim')).toBeUndefined();
    // Without a bootstrap scale neither writes nor removes one.
    await writeWorkerInstallMarker(aws.ssm, 'wim');
    await scaleGroup({
      aws,
      cluster: 'wim',
      group: 'workers',
      desired: 2,
      stateRoot,
      bootstrap: false,
      ...fast,
    });
    expect(await read('wim')).toMatchObject({ by: 'create' });
    // delete sweeps a marker left behind with the cluster's other parameters.
    expect((await parameterLeftovers(aws, 'wim')).map((l) => l.id)).toContain(workerInstallMarkerName('wim'));
    const deleted = await deleteCluster({ aws, cluster: 'wim', sweepDelayMs: 100, ...fast });
    expect(deleted.clean, JSON.stringify(deleted.proof?.remaining)).toBe(true);
    expect(await read('wim')).toBeUndefined();
  }, 180_000);

  it('the hold refreshes `at` until released; abandon stops refreshing and leaves it', async () => {
    const events = new RecordingEvents();
    const hold = await holdWorkerInstall(env.aws.ssm, {
      cluster: 'wim-b',
      bootstrap: true,
      events,
      refreshMs: 100,
    });
    const first = (await read('wim-b'))!.at;
    const later = await waitForChange('wim-b', first);
    expect(Date.parse(later)).toBeGreaterThan(Date.parse(first));
    hold.abandon();
    await new Promise((r) => setTimeout(r, 300));
    const left = (await read('wim-b'))!.at;
    await new Promise((r) => setTimeout(r, 500));
    expect((await read('wim-b'))!.at).toBe(left);
    const again = await holdWorkerInstall(env.aws.ssm, { cluster: 'wim-b', bootstrap: true, events });
    await again.release();
    expect(await read('wim-b')).toBeUndefined();
    expect(events.codes()).toEqual([]);
  });
});

describe('`tugboat bootstrap NAME` holds the worker install marker like create does', () => {
  it('written while it installs (by bootstrap), gone once done, left when it failed; no marker for a cluster that is not there', async () => {
    const { aws, stateRoot } = env;
    await createCluster({
      aws,
      stateRoot,
      definition: testDefinition('wim-r', { secretsKey: true }),
      bootstrap: false,
      ...fast,
    });
    const seen: unknown[] = [];
    const options = {
      aws,
      cluster: 'wim-r',
      stateRoot,
      // moto drops the stack's outputs (BootstrapSettings among them): the settings of `-f SPEC`.
      settings: { sshUser: 'ec2-user', sshAddress: 'private' as const, groupLabels: {}, eipGroups: [] },
      bundle: { file: 'tugboat-host-test.mjs', content: Buffer.from('') },
    };
    const result = await bootstrapRunningCluster(options, async (context) => {
      seen.push(await read(context.cluster));
      // The hosts it installs are the stack's instances, with the stack's SSH settings.
      expect(context.inventory.groups.map((g) => g.name)).toContain('workers');
      return { server: '', servers: [], hosts: [], kubeconfig: '', kubeconfigPath: '' };
    });
    expect(result.hosts).toEqual([]);
    expect(seen).toEqual([{ by: 'bootstrap', at: expect.stringMatching(/^\d{4}-/) }]);
    expect(await read('wim-r')).toBeUndefined();
    // A failed bootstrap leaves it to go stale (a re-run takes over), as create does.
    await expect(
      bootstrapRunningCluster(options, async () => {
        throw new Error('ssh: connection refused');
      }),
    ).rejects.toThrow('connection refused');
    expect(await read('wim-r')).toMatchObject({ by: 'bootstrap' });
    // A mistyped NAME fails before writing anything.
    await expect(bootstrapRunningCluster({ ...options, cluster: 'wim-nope' })).rejects.toThrow(/wim-nope/);
    expect(await read('wim-nope')).toBeUndefined();
    const deleted = await deleteCluster({ aws, cluster: 'wim-r', sweepDelayMs: 100, ...fast });
    expect(deleted.clean, JSON.stringify(deleted.proof?.remaining)).toBe(true);
    expect(await read('wim-r')).toBeUndefined();
  }, 180_000);
});

/** The marker's `at` once it differs from `from` (bounded). */
async function waitForChange(cluster: string, from: string): Promise<string> {
  for (let i = 0; i < 100; i++) {
    const at = (await read(cluster))?.at;
    if (at && at !== from) return at;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`the marker of ${cluster} was not refreshed`);
}

describe("a worker's boot waits while create installs", () => {
  const wait = (cluster: string, staleMs: number, events = new RecordingEvents()) =>
    waitWhileCreateInstalls(env.aws.ssm, { cluster, instanceId: 'i-w1', staleMs, pollMs: 100, events }).then(
      (w) => w.outcome,
    );

  it('no marker (an old cluster, --no-bootstrap, a launch after create): no wait', async () => {
    expect(await wait('wim-none', 60_000)).toBe('no-marker');
  });

  it('a marker that is no marker is taken for none', async () => {
    await env.aws.ssm.putString(workerInstallMarkerName('wim-junk'), 'garbage', {});
    expect(await wait('wim-junk', 60_000)).toBe('no-marker');
  });

  it('a refreshed marker keeps it waiting past staleMs; release ends the wait as finished', async () => {
    const hold = await holdWorkerInstall(env.aws.ssm, {
      cluster: 'wim-c',
      bootstrap: true,
      events: new RecordingEvents(),
      refreshMs: 200,
    });
    const events = new RecordingEvents();
    let outcome: string | undefined;
    // staleMs is 10 refreshes: a loaded machine (moto answering slowly) must not make it stale.
    const waiting = wait('wim-c', 2_000, events).then((o) => {
      outcome = o;
      return o;
    });
    await new Promise((r) => setTimeout(r, 4_500));
    expect(outcome).toBeUndefined();
    await hold.release();
    expect(await waiting).toBe('finished');
    expect(events.codes()).toEqual(['boot.worker-waits-for-create']);
  });

  it('SSM errors while waiting are retried (said once); too many in a row end the wait with the error', async () => {
    const marker = JSON.stringify({ by: 'create', at: '2026-12-04T00:00:00.000Z' });
    const answers = (script: (string | Error | undefined)[]) => ({
      getSecureString: async () => {
        const next = script.length > 1 ? script.shift() : script[0];
        if (next instanceof Error) throw next;
        return next;
      },
    });
    const options = { cluster: 'wim-e', instanceId: 'i-w1', staleMs: 60_000, pollMs: 10 };
    const events = new RecordingEvents();
    const blip = answers([marker, new Error('ThrottlingException'), new Error('socket hang up'), undefined]);
    expect(await waitWhileCreateInstalls(blip, { ...options, events })).toEqual({
      outcome: 'finished',
      by: 'create',
    });
    expect(events.codes()).toEqual(['boot.worker-waits-for-create', 'boot.create-marker-read-failed']);
    const down = answers([marker, new Error('AccessDeniedException')]);
    await expect(waitWhileCreateInstalls(down, options)).rejects.toThrow('AccessDeniedException');
  });

  it('a marker nobody refreshes (create interrupted) goes stale by the worker’s own clock: it joins by itself', async () => {
    // `at` far in the future: the worker does not trust the laptop's clock, only whether it changes.
    await writeWorkerInstallMarker(env.aws.ssm, 'wim-d', new Date('2099-01-01T00:00:00Z'), 'update');
    const events = new RecordingEvents();
    expect(await wait('wim-d', 500, events)).toBe('stale');
    expect(events.codes()).toEqual(['boot.worker-waits-for-create', 'boot.create-marker-stale']);
    expect(events.events[0]!.message).toMatch(/^tugboat update is installing the workers of wim-d over SSH/);
    expect(events.events[1]!.message).toMatch(/the update was interrupted or failed; i-w1 joins by itself/);
  });
});
