import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { SsmApi } from '../../src/aws/ssm.js';
import {
  etcdFormationParameterName,
  parseEtcdFormation,
  readEtcdFormation,
} from '../../src/boot/etcd-formation.js';
import { runMasterEtcdJoin } from '../../src/boot/master-etcd.js';
import {
  chooseMasterEtcdPath,
  markFormedByBoot,
  refreshFormedMembers,
  staleMarkerHint,
  waitForAllMasters,
} from '../../src/boot/master-etcd-form.js';
import { type EtcdMember, etcdClientUrls, etcdPaths } from '../../src/bootstrap/etcd-install.js';
import { RecordingEvents } from '../../src/events.js';
import { createCa } from '../../src/pki/index.js';
import { LocalShell } from '../../src/ssh/local-shell.js';
import { etcdctlFor, etcdHosts, eventually } from '../support/etcd-members.js';

// Issue 17, a new cluster's masters with no SSH bootstrap coming (`create --no-bootstrap`, the "no
// client" path): their boots form etcd from user-data. Real etcd processes on 127.0.93.1-3 (this
// helper's range), each master with its own host layout, supervised as on a host without systemd.
const root = mkdtempSync(join(tmpdir(), `tugboat-createrace-${process.pid}-`));
const shell = new LocalShell({ host: 'createrace' });
const cluster = 'cr';
const ca = createCa({ cluster });
const masters: EtcdMember[] = [1, 2, 3].map((n) => ({ name: `i-0000000${n}`, address: `127.0.93.${n}` }));
const hosts = etcdHosts(root, shell);
const { etcdctl, memberList } = etcdctlFor(ca, root);

/** An SSM of one account in memory: the calls the marker makes, with SSM's answers. */
function memorySsm(): Pick<SsmApi, 'getSecureString' | 'putString' | 'deleteParameters'> & {
  values: Map<string, string>;
} {
  const values = new Map<string, string>();
  return {
    values,
    getSecureString: async (name) => values.get(name),
    putString: async (name, value) => {
      values.set(name, value);
    },
    deleteParameters: async (names) => names.filter((n) => !values.delete(n)),
  };
}

afterAll(async () => {
  await hosts.stopAll(masters);
  rmSync(root, { recursive: true, force: true });
}, 120_000);

describe('the formation marker decides what a master boot does', () => {
  it('bootstrap coming → leave it; formed → join; absent → form (only when the count is known)', () => {
    const at = '2026-12-04T01:00:00Z';
    expect(chooseMasterEtcdPath({ state: 'bootstrap', at }, 3)).toBe('leave-to-bootstrap');
    expect(chooseMasterEtcdPath({ state: 'formed', by: 'bootstrap', members: ['a'], at }, 3)).toBe('join');
    expect(chooseMasterEtcdPath(undefined, 3)).toBe('form');
    expect(chooseMasterEtcdPath(undefined, 1)).toBe('form');
    // A template older than --masters: its boots never formed a cluster, they join as before.
    expect(chooseMasterEtcdPath(undefined, undefined)).toBe('join');
  });

  it('a value that is no marker is refused with the fix, naming the parameter', async () => {
    const ssm = memorySsm();
    for (const bad of ['formed', '{"state":"formed"}', '{"state":"done","at":"x"}', '[]', 'null']) {
      expect(parseEtcdFormation(bad)).toBeUndefined();
      ssm.values.set(etcdFormationParameterName(cluster), bad);
      await expect(readEtcdFormation(ssm, cluster)).rejects.toMatchObject({
        code: 'ETCD_FORMATION_MARKER',
        message: expect.stringContaining(
          'delete it (aws ssm delete-parameter --name /tugboat/cr/master/etcd-formation) and run tugboat bootstrap cr',
        ),
      });
    }
    ssm.values.delete(etcdFormationParameterName(cluster));
    expect(await readEtcdFormation(ssm, cluster)).toBeUndefined();
  });

  it('a join without quorum names a stale marker only when none of its members runs', () => {
    const marker = { state: 'formed', by: 'bootstrap', members: ['i-old1', 'i-old2'], at: 'T' } as const;
    expect(staleMarkerHint(cluster, marker, ['i-new1', 'i-new2'])).toBe(
      ' The etcd formation marker says formed (T, by bootstrap, members i-old1, i-old2), and none of those instances runs: if cr is a new cluster reusing the name of a deleted one, the marker is stale — delete it (aws ssm delete-parameter --name /tugboat/cr/master/etcd-formation) and reboot the masters, which then form etcd.',
    );
    expect(staleMarkerHint(cluster, marker, ['i-old2', 'i-new1'])).toBeUndefined();
    expect(staleMarkerHint(cluster, undefined, ['i-new1'])).toBeUndefined();
  });

  it("a replacement's join brings the marker's members up to date; the same members write nothing", async () => {
    const ssm = memorySsm();
    const marker = { state: 'formed', by: 'bootstrap', members: ['i-1', 'i-2', 'i-3'], at: 'T' } as const;
    const events = new RecordingEvents();
    await refreshFormedMembers(ssm, cluster, marker, ['i-3', 'i-1', 'i-2'], events);
    expect(ssm.values.size).toBe(0);
    await refreshFormedMembers(ssm, cluster, marker, ['i-4', 'i-1', 'i-2'], events);
    expect(await readEtcdFormation(ssm, cluster)).toMatchObject({
      state: 'formed',
      by: 'bootstrap',
      members: ['i-1', 'i-2', 'i-4'],
    });
    const failing = { putString: async () => Promise.reject(new Error('AccessDenied')) };
    await refreshFormedMembers(failing, cluster, marker, ['i-9'], events);
    expect(events.codes()).toEqual(['boot.etcd-formation-not-updated']);
  });

  it('an SSM error is the boot error, not "no marker"', async () => {
    const ssm = {
      getSecureString: async () => {
        throw new Error('ssm:GetParameter failed: AccessDeniedException');
      },
    };
    await expect(readEtcdFormation(ssm, cluster)).rejects.toThrow(/AccessDenied/);
  });
});

describe('waiting until all the masters exist (bounded)', () => {
  const instance = (id: string, ip?: string) => ({ id, ...(ip ? { privateIp: ip } : {}) });
  const ec2 = (rounds: ReturnType<typeof instance>[][]) => {
    let i = 0;
    return {
      calls: () => i,
      describeInstances: async () => rounds[Math.min(i++, rounds.length - 1)] as never,
    };
  };
  const self = masters[0]!;

  it('returns the others once all count have a private address', async () => {
    const api = ec2([
      [instance(self.name, self.address)],
      [instance(self.name, self.address), instance('i-00000003')],
      [
        instance(self.name, self.address),
        instance('i-00000003', '127.0.93.3'),
        instance('i-00000002', '127.0.93.2'),
      ],
    ]);
    const events = new RecordingEvents();
    const others = await waitForAllMasters(api, { cluster, self, count: 3, intervalMs: 10, events });
    expect(others).toEqual(masters.slice(1));
    expect(api.calls()).toBe(3);
    expect(events.codes()).toEqual(['boot.etcd-waiting-masters']);
  });

  it('fewer after the limit, or more than the count, is an error saying what was found', async () => {
    const two = ec2([[instance(self.name, self.address), instance('i-00000002', '127.0.93.2')]]);
    await expect(
      waitForAllMasters(two, { cluster, self, count: 3, intervalMs: 10, timeoutMs: 50 }),
    ).rejects.toMatchObject({
      code: 'ETCD_FORM_MASTERS',
      message: expect.stringMatching(/only 2 of its 3 master instances .* \(i-00000001, i-00000002\)/),
    });
    const four = ec2([
      [...masters, { name: 'i-00000004', address: '127.0.93.4' }].map((m) => instance(m.name, m.address)),
    ]);
    await expect(waitForAllMasters(four, { cluster, self, count: 3 })).rejects.toThrow(
      /4 master instances run \(i-00000001, i-00000002, i-00000003, i-00000004\) but the cluster has 3/,
    );
  });
});

describe('three masters booting at once form etcd from user-data (real etcd 3.4 on loopback)', () => {
  it('every member starts with the same --initial-cluster, state new: 3 healthy members; the marker says formed', async () => {
    const ssm = memorySsm();
    const events = masters.map(() => new RecordingEvents());
    // Each boot sees the other two as findOtherMasters gives them, in its own order.
    const results = await Promise.all(
      masters.map((self, i) =>
        runMasterEtcdJoin(shell, {
          cluster,
          self,
          others: masters.filter((m) => m !== self).reverse(),
          ca,
          layout: hosts.layoutOf(self),
          nodePath: process.execPath,
          mode: 'supervised',
          mayForm: true,
          events: events[i]!,
        }),
      ),
    );
    for (const [i, r] of results.entries()) {
      expect(r.members.map((m) => m.name)).toEqual(masters.map((m) => m.name));
      expect(r.endpoints[0]).toBe(etcdClientUrls([masters[i]!])[0]);
      // Formed, not joined: no membership change by anyone.
      expect(events[i]!.codes().filter((c) => c.startsWith('etcd.member'))).toEqual([]);
      const flags = JSON.parse(readFileSync(etcdPaths(hosts.layoutOf(masters[i]!)).initialFlags, 'utf8'));
      expect(flags).toEqual({
        state: 'new',
        cluster: masters.map((m) => `${m.name}=https://${m.address}:2380`).join(','),
      });
    }
    const urls = etcdClientUrls(masters);
    const health = JSON.parse(
      await eventually('3 healthy', () => etcdctl(urls, ['endpoint', 'health', '-w', 'json'])),
    ) as { health: boolean }[];
    expect(health.map((h) => h.health)).toEqual([true, true, true]);
    expect((await memberList(urls)).map((m) => m.name).sort()).toEqual(masters.map((m) => m.name));
    await etcdctl([urls[0]!], ['put', 'createrace/formed', 'yes']);
    expect((await etcdctl([urls[2]!], ['get', 'createrace/formed', '--print-value-only'])).trim()).toBe(
      'yes',
    );

    const markEvents = new RecordingEvents();
    expect(
      await markFormedByBoot(shell, ssm, {
        cluster,
        members: results[0]!.members,
        layout: hosts.layoutOf(masters[0]!),
        nodePath: process.execPath,
        events: markEvents,
      }),
    ).toBe(true);
    expect(await readEtcdFormation(ssm, cluster)).toMatchObject({
      state: 'formed',
      by: 'boot',
      members: masters.map((m) => m.name),
    });
    expect(markEvents.codes()).toEqual(['boot.etcd-formed']);
  }, 300_000);

  it('a boot of an already formed master (user-data runs at every start) keeps its member and data', async () => {
    const self = masters[1]!;
    const events = new RecordingEvents();
    await runMasterEtcdJoin(shell, {
      cluster,
      self,
      others: masters.filter((m) => m !== self),
      ca,
      layout: hosts.layoutOf(self),
      nodePath: process.execPath,
      mode: 'supervised',
      mayForm: true,
      events,
    });
    expect(events.codes().filter((c) => c.startsWith('etcd.member'))).toEqual([]);
    const urls = etcdClientUrls(masters);
    expect((await memberList(urls)).length).toBe(3);
    const value = await eventually('read through it', () =>
      etcdctl([urls[1]!], ['get', 'createrace/formed', '--print-value-only']),
    );
    expect(value.trim()).toBe('yes');
  }, 120_000);

  it('not all members healthy within the limit: no marker, a warning (the others or bootstrap write it)', async () => {
    const ssm = memorySsm();
    const events = new RecordingEvents();
    const ghost: EtcdMember = { name: 'i-00000009', address: '127.0.93.9' };
    expect(
      await markFormedByBoot(shell, ssm, {
        cluster,
        members: [...masters, ghost],
        layout: hosts.layoutOf(masters[0]!),
        nodePath: process.execPath,
        timeoutMs: 3_000,
        intervalMs: 500,
        events,
      }),
    ).toBe(false);
    expect(ssm.values.size).toBe(0);
    expect(events.codes()).toEqual(['boot.etcd-formed-unmarked']);
  }, 120_000);
});
