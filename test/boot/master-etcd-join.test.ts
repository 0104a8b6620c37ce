import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runMasterEtcdJoin } from '../../src/boot/master-etcd.js';
import { type EtcdMember, etcdClientUrls, etcdPaths, installEtcd } from '../../src/bootstrap/etcd-install.js';
import type { TugboatEvent } from '../../src/events.js';
import { issueEtcdMemberCertificate } from '../../src/pki/cluster-certs.js';
import { createCa } from '../../src/pki/index.js';
import { LocalShell } from '../../src/ssh/local-shell.js';
import { etcdctlFor, etcdHosts, eventually, hexMemberId } from '../support/etcd-members.js';

// A replaced master's self-join (what `boot` runs on a master of an etcd cluster), against real
// etcd processes: three members on 127.0.91.1-3 (this helper's range), each with its own host
// layout, supervised as on a host without systemd. One member's instance "dies" (supervisor and
// etcd SIGKILLed, its whole host directory wiped); the replacement — a new instance id at a new
// address, as the auto-scaling group launches it — joins over a LocalShell.
const root = mkdtempSync(join(tmpdir(), `tugboat-masterjoin-${process.pid}-`));
const shell = new LocalShell({ host: 'masterjoin' });
const ca = createCa({ cluster: 'mj' });
const cluster = 'mj';
const original: EtcdMember[] = [1, 2, 3].map((n) => ({ name: `i-0000000${n}`, address: `127.0.91.${n}` }));
const replacement: EtcdMember = { name: 'i-00000004', address: '127.0.91.4' };
const late: EtcdMember = { name: 'i-00000005', address: '127.0.91.5' };
const hosts = etcdHosts(root, shell);
const { layoutOf } = hosts;
const { etcdctl, memberList } = etcdctlFor(ca, root);
const killInstance = (m: EtcdMember) => hosts.kill(m);

afterAll(async () => {
  await hosts.stopAll([...original, replacement, late]);
  rmSync(root, { recursive: true, force: true });
}, 120_000);

it('a master with no other master running has nothing to join: ETCD_QUORUM at once, nothing written', async () => {
  const alone: EtcdMember = { name: 'i-00000009', address: '127.0.91.9' };
  await expect(
    runMasterEtcdJoin(shell, {
      cluster,
      self: alone,
      others: [],
      ca,
      layout: layoutOf(alone),
      nodePath: process.execPath,
      mode: 'supervised',
    }),
  ).rejects.toMatchObject({
    code: 'ETCD_QUORUM',
    message: expect.stringMatching(
      /i-00000009 is the only master of mj running: .* restore from the latest backup/,
    ),
  });
  expect(existsSync(layoutOf(alone).root)).toBe(false);
});

describe('a replaced master rejoins etcd by itself (real etcd, 3 members on loopback)', () => {
  let oldId = '';

  beforeAll(async () => {
    await hosts.form(original, ca, cluster);
    await eventually('3 members healthy', () => etcdctl(etcdClientUrls(original), ['endpoint', 'health']));
    await etcdctl(etcdClientUrls(original), ['put', 'masterjoin/before', 'written before the loss']);
    const listed = await memberList(etcdClientUrls(original));
    oldId = listed.find((m) => m.name === original[2]!.name)!.ID;
    // The member that dies is the leader: the replacement boots while the others elect a new one.
    await etcdctl(etcdClientUrls(original), ['move-leader', oldId]);
    const status = await etcdctl(etcdClientUrls(original), ['endpoint', 'status', '-w', 'simple']);
    const leader = status.split('\n').find((l) => l.split(', ')[4] === 'true');
    expect(leader?.split(', ')[1]).toBe(oldId);
  }, 120_000);

  it('removes the dead member, adds the replacement, which syncs: 3 healthy members, data intact', async () => {
    killInstance(original[2]!);
    const survivors = original.slice(0, 2);
    const events: TugboatEvent[] = [];
    const etcd = await runMasterEtcdJoin(shell, {
      cluster,
      self: replacement,
      // What findOtherMasters gives: the terminated instance is no longer among the masters.
      others: survivors,
      ca,
      layout: layoutOf(replacement),
      nodePath: process.execPath,
      mode: 'supervised',
      events: { emit: (e) => events.push(e) },
    });
    // `etcd.no-quorum-yet` first when the election was still under way at its first look.
    const codes = events
      .map((e) => e.code)
      .filter((c) => (c.startsWith('etcd.') || c.startsWith('boot.')) && c !== 'etcd.no-quorum-yet');
    expect(codes).toEqual(['etcd.member-removed', 'etcd.member-added', 'boot.etcd-member']);
    const removed = events.find((e) => e.code === 'etcd.member-removed')!.data as { id: string };
    expect(hexMemberId(removed.id)).toBe(oldId);
    expect(etcd.endpoints).toEqual(etcdClientUrls([replacement, ...survivors]));
    expect(etcd.members.map((m) => m.name)).toEqual([...survivors.map((m) => m.name), replacement.name]);

    const now = [...survivors, replacement];
    const health = await eventually('3 members healthy after the join', () =>
      etcdctl(etcdClientUrls(now), ['endpoint', 'health', '-w', 'json']),
    );
    const parsed = JSON.parse(health) as { endpoint: string; health: boolean }[];
    expect(parsed).toHaveLength(3);
    expect(parsed.every((h) => h.health)).toBe(true);
    const listed = await memberList(etcdClientUrls(now));
    expect(listed.map((m) => m.name).sort()).toEqual(now.map((m) => m.name).sort());
    expect(listed.map((m) => m.ID)).not.toContain(oldId);
    expect(listed.find((m) => m.name === replacement.name)!.peerURLs).toEqual(['https://127.0.91.4:2380']);
    // Data intact, and served by the new member itself (it synced from the quorum).
    const [newUrl] = etcdClientUrls([replacement]);
    expect(
      (
        await etcdctl([newUrl!], ['get', 'masterjoin/before', '--print-value-only', '--consistency=s'])
      ).trim(),
    ).toBe('written before the loss');
    // A write through the new member reaches the others.
    await etcdctl([newUrl!], ['put', 'masterjoin/after', 'via the replacement']);
    const [firstUrl] = etcdClientUrls([survivors[0]!]);
    expect((await etcdctl([firstUrl!], ['get', 'masterjoin/after', '--print-value-only'])).trim()).toBe(
      'via the replacement',
    );
    // It started as a member of the existing cluster, and recorded so.
    const flags = JSON.parse(readFileSync(etcdPaths(layoutOf(replacement)).initialFlags, 'utf8')) as {
      state: string;
    };
    expect(flags.state).toBe('existing');
  }, 300_000);

  it('a second boot of the joined master keeps its member (same ID, no membership change)', async () => {
    const before = await memberList(etcdClientUrls([replacement]));
    const events: TugboatEvent[] = [];
    await runMasterEtcdJoin(shell, {
      cluster,
      self: replacement,
      others: original.slice(0, 2),
      ca,
      layout: layoutOf(replacement),
      nodePath: process.execPath,
      mode: 'supervised',
      events: { emit: (e) => events.push(e) },
    });
    expect(events.map((e) => e.code).filter((c) => c.startsWith('etcd.'))).toEqual([]);
    const after = await memberList(etcdClientUrls([replacement]));
    expect(after.map((m) => m.ID).sort()).toEqual(before.map((m) => m.ID).sort());
  }, 300_000);

  it('without quorum a replacement fails with the recovery and forms nothing', async () => {
    // Two of the three members' instances are gone: the one left has no quorum.
    killInstance(original[1]!);
    killInstance(replacement);
    const left = original[0]!;
    const [leftUrl] = etcdClientUrls([left]);
    const membersBefore = await memberList([leftUrl!]);
    expect(membersBefore).toHaveLength(3);
    const events: TugboatEvent[] = [];
    const failure = await runMasterEtcdJoin(shell, {
      cluster,
      self: late,
      others: [left],
      ca,
      quorumWaitMs: 6_000,
      layout: layoutOf(late),
      nodePath: process.execPath,
      mode: 'supervised',
      events: { emit: (e) => events.push(e) },
    }).then(
      () => undefined,
      (err: unknown) => err as Error & { code?: string },
    );
    expect(failure?.code).toBe('ETCD_QUORUM');
    expect(failure?.message).toMatch(/i-00000005 has no etcd data and cannot join: etcd has lost quorum/);
    expect(failure?.message).toMatch(/never forms a new etcd cluster/);
    expect(failure?.message).toMatch(/restore from the latest backup: see docs\/ha-masters\.md#lost-quorum/);
    // It waited for a quorum first (an election), then gave up; it changed no membership.
    expect(events.map((e) => e.code).filter((c) => c.startsWith('etcd.'))).toEqual(['etcd.no-quorum-yet']);
    // Nothing formed: no etcd service and no data on the late master; the membership is unchanged.
    expect(hosts.etcdOn(layoutOf(late))).toEqual({ service: false, data: false });
    const membersAfter = await memberList([leftUrl!]);
    expect(membersAfter.map((m) => m.ID).sort()).toEqual(membersBefore.map((m) => m.ID).sort());
  }, 300_000);
});

describe('a master that boots while tugboat bootstrap forms the cluster with it (create on AWS)', () => {
  const forming: EtcdMember[] = [6, 7, 8].map((n) => ({ name: `i-0000000${n}`, address: `127.0.91.${n}` }));

  afterAll(async () => {
    await hosts.stopAll(forming);
  }, 120_000);

  it('leaves its member to bootstrap (ETCD_BEING_FORMED): starts no etcd, changes no membership', async () => {
    // Bootstrap has started two of the three members of a cluster formed with all three: the
    // third is registered under its own name and never started.
    for (const m of forming.slice(0, 2))
      await installEtcd(shell, {
        layout: layoutOf(m),
        mode: 'supervised',
        member: m,
        members: forming,
        pki: { caPem: ca.certPem, memberCert: issueEtcdMemberCertificate(ca, { altNames: [m.address] }) },
        clusterToken: `tugboat-${cluster}-forming`,
      });
    const started = etcdClientUrls(forming.slice(0, 2));
    await eventually('2 of 3 members healthy', () => etcdctl(started, ['endpoint', 'health']));
    const before = await memberList(started);
    expect(before).toHaveLength(3);
    const self = forming[2]!;
    const failure = await runMasterEtcdJoin(shell, {
      cluster,
      self,
      others: forming.slice(0, 2),
      ca,
      layout: layoutOf(self),
      nodePath: process.execPath,
      mode: 'supervised',
    }).then(
      () => undefined,
      (err: unknown) => err as Error & { code?: string },
    );
    expect(failure?.code).toBe('ETCD_BEING_FORMED');
    expect(failure?.message).toMatch(/i-00000008 is a member of the etcd cluster being formed/);
    expect(hosts.etcdOn(layoutOf(self))).toEqual({ service: false, data: false });
    const after = await memberList(started);
    expect(after.map((m) => m.ID).sort()).toEqual(before.map((m) => m.ID).sort());
  }, 300_000);
});
